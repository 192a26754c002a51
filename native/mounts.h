/* The user's bind, volume and tmpfs mounts, and --read-only: targets resolved inside the root. */
#ifndef CONDUCTOR_MOUNTS_H
#define CONDUCTOR_MOUNTS_H

#define MAX_MOUNTS 64

struct mount_req {
  int tmpfs;            /* 0: bind SRC (a host path); 1: tmpfs with options SRC */
  const char *src;
  const char *dst;      /* absolute path inside the container */
  int ro, noexec, copyup;
};

struct mounts_spec {
  int n;
  struct mount_req m[MAX_MOUNTS];
  int read_only_root;
};

/* Parses `--mount KIND SRC DST FLAGS` (at argv[*i]; *i is left on the last value) or
 * `--read-only`. Returns 1 if argv[*i] was one of ours, 0 if not; exits 125 on a bad value. */
int mounts_parse_arg(struct mounts_spec *s, int argc, char **argv, int *i);

/* Mount every request onto ROOT (the container's overlay, not yet pivoted into), in order, then
 * make the root read-only if asked. Exits 125 with a message on any failure. */
void setup_mounts(const struct mounts_spec *s, const char *root);

#endif
