/* exec's entry into a running container (join.h): the part util-linux nsenter used to do. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "join.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static void fail(const char *what) {
  fprintf(stderr, "conductor-init: %s: %s\n", what, strerror(errno));
  exit(125);
}

/* Field 22 of /proc/PID/stat (after the parenthesised comm, which may itself hold ") "). */
static int start_time_of(long pid, char *out, size_t n) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t len = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (len <= 0) return -1;
  buf[len] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  /* After ") ": field 3 (state) onwards; field 22 is the 20th of those. */
  p += 2;
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return -1;
    p++;
  }
  size_t k = strcspn(p, " ");
  if (k == 0 || k >= n) return -1;
  memcpy(out, p, k);
  out[k] = '\0';
  return 0;
}

/* The parent's part: wait for the child, then end the same way. */
static void wait_and_mirror(pid_t child) __attribute__((noreturn));
static void wait_and_mirror(pid_t child) {
  int status;
  /* Nothing of the exec's may stay open here: the cgroup, filter and console fds are the child's. */
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) {
    for (int fd = 3; fd < 1024; fd++) close(fd);
  }
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) fail("waitpid");
  if (WIFEXITED(status)) exit(WEXITSTATUS(status));
  int sig = WTERMSIG(status);
  signal(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  sigprocmask(SIG_UNBLOCK, &only, NULL);
  kill(getpid(), sig);
  exit(128 + sig);
}

void join_container(const char *spec) {
  char *end;
  errno = 0;
  long pid = strtol(spec, &end, 10);
  if (errno || pid <= 0 || *end != ':' || !end[1]) {
    fprintf(stderr, "conductor-init: bad --join \"%s\" (want PID:STARTTIME)\n", spec);
    exit(125);
  }
  const char *want = end + 1;
  int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0 && errno == ESRCH) {
    fprintf(stderr, "conductor-init: the container's init (PID %ld) has exited\n", pid);
    exit(125);
  }
  if (pidfd < 0) fail("pidfd_open (needs Linux 5.3)");
  /* Checked after the pidfd is open: if PID still names the init now, the pidfd names it too. */
  char got[32];
  if (start_time_of(pid, got, sizeof got) < 0 || strcmp(got, want) != 0) {
    fprintf(stderr, "conductor-init: the container's init (PID %ld) has exited\n", pid);
    exit(125);
  }
  if (setns(pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP) < 0)
    fail("setns(pidfd) (needs Linux 5.8)");
  close(pidfd);
  pid_t child = fork();
  if (child < 0) fail("fork");
  if (child > 0) wait_and_mirror(child);
}
