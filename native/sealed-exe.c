/*
 * CVE-2019-5736: a process the container can see (same PID namespace, capabilities no greater
 * than the container's, dumpable) exposes its executable as /proc/PID/exe. Container root opens
 * that with O_PATH while the helper runs and, once it has exited (no more ETXTBSY), reopens
 * /proc/self/fd/N for writing: the HOST's binary, which the next `run` or `exec` executes as host
 * root. `exec` makes this easy: nsenter execs the helper from an fd on the host file, and a
 * container binary replaced by "#!/proc/self/exe" runs the helper again, unprivileged, for as
 * long as the attacker likes.
 *
 * So the helper never runs from the host file inside a container: its very first act is to copy
 * itself into a memfd, seal it, and re-exec from that (runc's libcontainer/exeseal does the same
 * for runc init). Every /proc/PID/exe of a helper then names that copy, which no one can write,
 * truncate or grow (the seals are on the inode, whatever the opener's privileges), and which is
 * gone when the helper execs the command.
 */
#define _GNU_SOURCE
#include "sealed-exe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U /* Linux 6.3: executable memfd even under vm.memfd_noexec=1 */
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020 /* Linux 6.3: the mode (x bits) can no longer change */
#endif

#define BASE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static void fail(const char *what) {
  fprintf(stderr, "conductor-init: sealed copy of the helper: %s: %s\n", what, strerror(errno));
  exit(125);
}

static int is_sealed(int fd) {
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & BASE_SEALS) == BASE_SEALS;
}

/* Every inherited fd on the host binary (exec mode: nsenter ran us from fd 3) must not survive
 * the re-exec: a container could reopen it for writing through /proc/PID/fd. */
static void cloexec_fds_on(const struct stat *exe) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) fail("opendir /proc/self/fd");
  struct dirent *e;
  while ((e = readdir(d))) {
    struct stat st;
    int fd = atoi(e->d_name);
    if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d)) continue;
    if (fstat(fd, &st) == 0 && st.st_dev == exe->st_dev && st.st_ino == exe->st_ino &&
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
      fail("close-on-exec on the host binary's fd");
  }
  closedir(d);
}

void ensure_sealed_exe(char **argv) {
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) fail("open /proc/self/exe");
  if (is_sealed(exe)) {
    close(exe);
    return;
  }
  struct stat st;
  if (fstat(exe, &st) < 0) fail("fstat /proc/self/exe");

  /* MFD_CLOEXEC: the copy is reachable only as our exe, never as an fd of the command. */
  int mfd = memfd_create("conductor-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL) mfd = memfd_create("conductor-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) fail("memfd_create");
  /* sendfile: one in-kernel copy from the page cache (copy_file_range refuses file → tmpfs). */
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = sendfile(mfd, exe, NULL, (size_t)(st.st_size - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("copy");
    done += n;
  }
  struct stat copied;
  if (fstat(mfd, &copied) < 0 || copied.st_size != st.st_size) {
    errno = EIO;
    fail("short copy");
  }
  close(exe);
  /* Not writable by any non-root process, whatever the seals; then the seals themselves. */
  if (fchmod(mfd, 0511) < 0) fail("fchmod");
  (void)fcntl(mfd, F_ADD_SEALS, F_SEAL_EXEC); /* best effort: Linux < 6.3 lacks it */
  if (fcntl(mfd, F_ADD_SEALS, BASE_SEALS) < 0 || !is_sealed(mfd)) fail("F_ADD_SEALS");
  cloexec_fds_on(&st);
  fexecve(mfd, argv, environ);
  fail("fexecve");
}
