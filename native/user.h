#ifndef CONDUCTOR_USER_H
#define CONDUCTOR_USER_H
#include <sys/types.h>

#define MAX_GROUPS 64

struct exec_user {
  uid_t uid;
  gid_t gid;
  gid_t groups[MAX_GROUPS];
  int ngroups;
  char home[1024];
};

/* Resolve "name|uid[:group|gid]" against /etc/passwd and /etc/group of the CURRENT root (call it
 * after pivot_root / nsenter -r). Exits 125 with a one-line message on an unknown name. */
void resolve_user(const char *spec, struct exec_user *out);

/* Drop to the user: supplementary groups, gid, uid (keeping the permitted capabilities, so the
 * caller's capset decides what is left; execve of a non-root uid then clears them). */
void switch_user(const struct exec_user *u);

#endif
