/*
 * USER: runc's GetExecUser rules, read from the container's own /etc/passwd and /etc/group.
 * No NSS (a static binary must not dlopen the image's libnss) and nothing of the host: the files
 * are opened after pivot_root, so every path (symlinks included) resolves inside the container.
 * The container is hostile: the files may be FIFOs, devices or huge, so they are opened
 * non-blocking, must be regular files, and are read up to a cap.
 *
 * Rules: a name must exist in passwd; a numeric uid need not (gid 0 and HOME "/" then, as in
 * Docker). An explicit group (name in /etc/group, or a number) replaces the passwd gid and is the
 * only group; otherwise the supplementary groups are those that list the user by name.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "user.h"

#define MAX_FILE (4 << 20)

static void fail(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "conductor: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  exit(125);
}

/* The file's bytes, NUL-terminated; NULL if it does not exist (or is not a regular file). */
static char *read_small(const char *path) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return NULL;
  }
  char *buf = malloc(MAX_FILE + 1);
  size_t n = 0;
  ssize_t r;
  if (!buf) { close(fd); return NULL; }
  while (n < MAX_FILE && (r = read(fd, buf + n, MAX_FILE - n)) > 0) n += (size_t)r;
  close(fd);
  buf[n] = '\0';
  return buf;
}

/* A decimal id (0 .. 2^31-2), else -1. */
static long parse_id(const char *s) {
  if (!*s) return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end || errno || v < 0 || v > 0x7ffffffe) return -1;
  return v;
}

/* Split one line at ':' into at most n fields; returns how many. */
static int fields(char *line, char **f, int n) {
  int k = 0;
  f[k++] = line;
  for (char *p = line; *p && k < n; p++)
    if (*p == ':') { *p = '\0'; f[k++] = p + 1; }
  return k;
}

struct pwent { char name[256]; long uid, gid; char home[1024]; int found; };

static void find_passwd(const char *db, const char *name, long uid, struct pwent *out) {
  out->found = 0;
  if (!db) return;
  char *copy = strdup(db), *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *f[7];
    if (fields(line, f, 7) < 7) continue;
    long u = parse_id(f[2]), g = parse_id(f[3]);
    if (u < 0 || g < 0) continue;
    if (name ? strcmp(f[0], name) == 0 : u == uid) {
      snprintf(out->name, sizeof out->name, "%s", f[0]);
      snprintf(out->home, sizeof out->home, "%s", f[5]);
      out->uid = u, out->gid = g, out->found = 1;
      break;
    }
  }
  free(copy);
}

void resolve_user(const char *spec, struct exec_user *out) {
  char user[512], *group = NULL;
  if (snprintf(user, sizeof user, "%s", spec) >= (int)sizeof user || !*user) fail("bad user \"%s\"%s", spec, "");
  char *colon = strchr(user, ':');
  if (colon) { *colon = '\0'; group = colon + 1; }
  if (!*user || (group && !*group)) fail("bad user \"%s\"%s (want name|uid[:group|gid])", spec, "");

  char *passwd = read_small("/etc/passwd");
  struct pwent pw;
  long uid = parse_id(user);
  find_passwd(passwd, uid < 0 ? user : NULL, uid, &pw);
  free(passwd);
  if (uid < 0 && !pw.found) fail("unable to find user \"%s\": no matching entry in the image's /etc/passwd%s", user, "");
  out->uid = (uid_t)(pw.found ? pw.uid : uid);
  out->gid = (gid_t)(pw.found ? pw.gid : 0);
  snprintf(out->home, sizeof out->home, "%s", pw.found && pw.home[0] ? pw.home : "/");
  out->ngroups = 0;

  long gid = group ? parse_id(group) : -1;
  char *db = (group && gid < 0) || (!group && pw.found) ? read_small("/etc/group") : NULL;
  int group_found = 0;
  if (db) {
    char *copy = db, *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
      char *f[4];
      if (fields(line, f, 4) < 4) continue;
      long g = parse_id(f[2]);
      if (g < 0) continue;
      if (group) {
        if (strcmp(f[0], group) == 0) { gid = g; group_found = 1; break; }
        continue;
      }
      char *msave = NULL;
      for (char *m = strtok_r(f[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave)) {
        if (strcmp(m, pw.name) == 0 && out->ngroups < MAX_GROUPS) { out->groups[out->ngroups++] = (gid_t)g; break; }
      }
    }
    free(db);
  }
  if (group && gid < 0 && !group_found) fail("unable to find group \"%s\": no matching entry in the image's /etc/group%s", group, "");
  if (group) {
    out->gid = (gid_t)gid;
    out->ngroups = 0;
  }
  /* The primary group is always among the groups, so no stale supplementary group of root survives. */
  int has = 0;
  for (int i = 0; i < out->ngroups; i++) has |= out->groups[i] == out->gid;
  if (!has && out->ngroups < MAX_GROUPS) out->groups[out->ngroups++] = out->gid;
}

void switch_user(const struct exec_user *u) {
  /* setgroups first: it needs CAP_SETGID, and root's own supplementary groups must never reach
   * the command. Then gid, then uid (after which nothing can be changed back). */
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail("prctl(PR_SET_KEEPCAPS): %s%s", strerror(errno), "");
  if (setgroups((size_t)u->ngroups, u->groups) < 0) fail("setgroups: %s%s", strerror(errno), "");
  if (setresgid(u->gid, u->gid, u->gid) < 0) fail("setresgid: %s%s", strerror(errno), "");
  if (setresuid(u->uid, u->uid, u->uid) < 0) fail("setresuid: %s%s", strerror(errno), "");
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail("prctl(PR_SET_KEEPCAPS): %s%s", strerror(errno), "");
}
