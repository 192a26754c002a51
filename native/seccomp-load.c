/*
 * The init helper's half of seccomp: read a compiled filter (raw struct sock_filter array, as
 * native/seccomp-compile writes it) from an fd the caller opened on the host, and install it
 * right before execve. No libseccomp here: the helper stays small and static, and the filter
 * was built (and cached) once on the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp-load.h"

static struct sock_filter *prog;
static unsigned short prog_len;

static void fail(const char *step, int err) {
  fprintf(stderr, "conductor-init: seccomp: %s: %s\n", step, strerror(err));
  exit(125);
}

void seccomp_read_filter(int fd) {
  /* BPF_MAXINSNS: the kernel refuses longer programs, so anything bigger is not ours. */
  size_t max = BPF_MAXINSNS * sizeof(struct sock_filter), len = 0;
  char *buf = malloc(max + 1);
  if (!buf) fail("malloc", errno);
  for (;;) {
    /* pread: the fd's offset is shared with the monitor's copy, which a restart reads again. */
    ssize_t n = pread(fd, buf + len, max + 1 - len, (off_t)len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read filter", errno);
    if (n == 0) break;
    len += (size_t)n;
    if (len > max) fail("filter longer than BPF_MAXINSNS", E2BIG);
  }
  if (len == 0 || len % sizeof(struct sock_filter)) fail("filter is not a whole BPF program", EINVAL);
  close(fd);
  free(prog);
  prog = (struct sock_filter *)buf;
  prog_len = (unsigned short)(len / sizeof(struct sock_filter));
}

void seccomp_install_filter(void) {
  if (!prog) return;
  struct sock_fprog fprog = { prog_len, prog };
  /* Needs no_new_privs (set just before) or CAP_SYS_ADMIN; seccomp(2) first, prctl on kernels < 3.17. */
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0) return;
  if (errno != ENOSYS) fail("seccomp(SECCOMP_SET_MODE_FILTER)", errno);
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0) fail("prctl(PR_SET_SECCOMP)", errno);
}
