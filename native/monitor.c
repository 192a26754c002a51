/*
 * conductor-monitor: the parent of a container's PID 1, like podman's conmon.
 *
 *   conductor-monitor [--ready-fd N] [--pid-file F] [--exit-file F] [--log F --log-max BYTES]
 *                     [--console-socket N] -- INIT-HELPER-ARGV...
 *
 * util-linux `unshare` (without --fork) execs it right after making the namespaces, so the first
 * child it forks becomes PID 1 of the new PID namespace: it forks nothing else. It reports that
 * child's host PID (on the ready fd, and with its start time in the pid file), copies the
 * container's stdout and stderr into the log up to its cap (then drops the rest, so the container
 * never blocks or dies of SIGPIPE), collects the real exit status (128+n for a signal;
 * util-linux 2.38's `unshare --fork` turns a SIGKILL into 1), records it and exits with it.
 * With --console-socket (`run -d -t`), the helper makes a pty inside the container and sends its
 * master over a socket the monitor puts at fd N in the child; the pty's output goes to the log.
 * One small process per container, on the host only: linked dynamically to share libc's pages.
 * `exec -d` runs it too, without --ready-fd/--pid-file, as the capped copier of the exec's output:
 * the command gets a pipe, never an fd of the host's log file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

static void fail(const char *what) {
  fprintf(stderr, "conductor-monitor: %s: %s\n", what, strerror(errno));
  exit(125);
}

/* Field 22 of /proc/PID/stat: with the PID it names one process for the life of the boot. */
static unsigned long long start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  for (int field = 2; field < 22 && p; field++) p = strchr(p + 1, ' ');
  return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) fail(path);
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) fail(path);
  close(fd);
}

/*
 * The log's time index, FILE.times: one "OFFSET UNIX_MS" line per write whose millisecond differs
 * from this copier's previous one, so `logs --since/--timestamps` can date each line without the
 * log itself changing format. Appended under the log's flock (entries stay in offset order across
 * copiers) and capped at a quarter of the log's cap; past it, later lines take the last time.
 */
static void index_write(int idx, long long offset, long long max, long long *last_ms) {
  struct timespec ts;
  if (idx < 0 || clock_gettime(CLOCK_REALTIME, &ts) < 0) return;
  long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  if (ms == *last_ms) return;
  struct stat st;
  if (fstat(idx, &st) < 0 || st.st_size >= max / 4) return;
  char line[64];
  int len = snprintf(line, sizeof line, "%lld %lld\n", offset, ms);
  if (write(idx, line, (size_t)len) == len) *last_ms = ms;
}

/*
 * Copy the pipe into the log until the FILE holds max bytes, then drain, until every writer is
 * gone. The cap is the file's, not this copier's: the container's monitor and the copiers of
 * detached execs append to the same log, each measuring the file under an exclusive flock so
 * that together they never pass it.
 */
static void copy_log(int in, const char *file, long long max) {
  int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) fail(file);
  char idx_path[4096];
  int idx = -1;
  if (snprintf(idx_path, sizeof idx_path, "%s.times", file) < (int)sizeof idx_path)
    idx = open(idx_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
  long long last_ms = -1;
  int full = 0;
  char buf[16384];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (full) continue;
    while (flock(fd, LOCK_EX) < 0 && errno == EINTR) {}
    struct stat st;
    long long size = fstat(fd, &st) == 0 ? (long long)st.st_size : max;
    long long room = max - size;
    size_t keep = room <= 0 ? 0 : (size_t)(n < room ? n : room);
    if (keep > 0) index_write(idx, size, max, &last_ms);
    for (size_t off = 0; off < keep;) {
      ssize_t w = write(fd, buf + off, keep - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        full = 1; /* the log is unusable: keep draining */
        break;
      }
      off += (size_t)w;
    }
    if (room - (long long)keep <= 0) full = 1; /* the file never shrinks */
    flock(fd, LOCK_UN);
  }
  if (idx >= 0) close(idx);
  close(fd);
}

int main(int argc, char **argv) {
  int ready_fd = -1, console_fd = -1;
  const char *pid_file = NULL, *exit_file = NULL, *log = NULL;
  long long log_max = 10 * 1024 * 1024;
  char **cmd = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { cmd = &argv[i + 1]; break; }
    if (i + 1 >= argc) { fprintf(stderr, "conductor-monitor: %s needs a value\n", argv[i]); return 125; }
    const char *a = argv[i], *v = argv[++i];
    if (strcmp(a, "--ready-fd") == 0) ready_fd = atoi(v);
    else if (strcmp(a, "--pid-file") == 0) pid_file = v;
    else if (strcmp(a, "--exit-file") == 0) exit_file = v;
    else if (strcmp(a, "--log") == 0) log = v;
    else if (strcmp(a, "--log-max") == 0) log_max = atoll(v);
    else if (strcmp(a, "--console-socket") == 0) console_fd = atoi(v);
    else { fprintf(stderr, "conductor-monitor: unknown option %s\n", a); return 125; }
  }
  if (!cmd || !cmd[0]) { fprintf(stderr, "conductor-monitor: no command after --\n"); return 125; }
  if (console_fd >= 0 && (console_fd < 3 || !log)) { fprintf(stderr, "conductor-monitor: --console-socket needs a fd > 2 and --log\n"); return 125; }

  /* The terminal's SIGINT/SIGQUIT reach the container's processes directly; the monitor must
   * outlive them to collect the status. (The init helper resets every signal to default.) */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);

  int out[2] = { -1, -1 };
  if (log && pipe2(out, O_CLOEXEC) < 0) fail("pipe");
  int sv[2] = { -1, -1 };
  if (console_fd >= 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) fail("socketpair");
  pid_t child = fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    if (log && (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)) fail("dup2");
    if (sv[1] >= 0 && (dup2(sv[1], console_fd) < 0 || fcntl(console_fd, F_SETFD, 0) < 0)) fail("dup2 console socket");
    execv(cmd[0], cmd);
    fail(cmd[0]);
  }
  if (log) close(out[1]);
  /* Our copy of the helper's end closed: a helper that dies before sending a master means EOF. */
  if (sv[1] >= 0) close(sv[1]);

  char line[64];
  if (pid_file) {
    snprintf(line, sizeof line, "%d %llu\n", (int)child, start_time(child));
    write_file(pid_file, line);
  }
  if (ready_fd >= 0) {
    snprintf(line, sizeof line, "%d\n", (int)child);
    if (write(ready_fd, line, strlen(line)) < 0) { /* the caller gave up: the helper will see EOF */ }
    close(ready_fd);
  }
  int master = -1;
  if (sv[0] >= 0) {
    /* Before draining the pipe: the helper waits for our go while it still holds the pipe. Nobody
     * sizes a detached pty; the go is all it needs. */
    master = console_receive(sv[0]);
    if (master >= 0) console_release(sv[0]);
    close(sv[0]);
  }
  /* The pipe carries what the helper said before its pty existed (or why it failed); it ends when
   * the helper moves the pty onto stdout and stderr. */
  if (log) copy_log(out[0], log, log_max);
  if (master >= 0) copy_log(master, log, log_max);

  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) fail("waitpid");
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (exit_file) {
    snprintf(line, sizeof line, "%d\n", code);
    write_file(exit_file, line);
  }
  return code;
}
