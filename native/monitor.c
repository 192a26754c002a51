/*
 * conductor-monitor: the parent of a container's PID 1, like podman's conmon.
 *
 *   conductor-monitor [--pdeathsig] [--ns uts,ipc,net,pid] [--ready-fd N] [--pid-file F]
 *                     [--exit-file F] [--log F --log-max BYTES] [--console-socket N]
 *                     [--restart no|on-failure|always|unless-stopped] [--restart-max N]
 *                     [--restart-file F] [--health-interval-ms N --health-arg ARG...]
 *                     -- INIT-HELPER-ARGV...
 *
 * It makes the container's uts/ipc/net namespaces itself (unshare(2)) and, for each start, forks
 * the init helper into a new PID namespace (clone(CLONE_NEWPID)), so the helper becomes its PID 1:
 * no unshare or setpriv process before it (--pdeathsig is setpriv's --pdeathsig KILL). It reports
 * the child's host PID (on the ready fd, and with its start time in the pid file, rewritten at each
 * start), relays the launch protocol between the caller and the helper (the caller's "G", the
 * helper's "R" once its command is about to run), copies the container's stdout and stderr into
 * the capped log (logsink.c), collects the real exit status (128+n for a signal), records it and
 * exits with it. With --console-socket (`run -d -t`) the helper makes a pty inside the container
 * and sends its master over a socket the monitor puts at fd N in the child; the pty's output goes
 * to the log.
 *
 * Restart policies (`run -d --restart`): a container that reached its command and then exited is
 * started again, in the same uts/ipc/net namespaces (so its network stays), after Docker's backoff:
 * 100 ms doubling up to a minute, back to 100 ms after a run of 10 s or more; the count goes to the
 * restart file. SIGUSR1 (from `stop`) means "no more restarts": the monitor exits with the code of
 * the run in progress once it ends. Health checks: every interval while the command runs, the
 * monitor runs the --health-arg argv (the CLI's `healthcheck run`), at most one at a time.
 *
 * One small process per container, on the host only: linked dynamically to share libc's pages.
 * `exec -d` runs it too, without --ns/--ready-fd/--pid-file, as the capped copier of the exec's
 * output: the command gets a pipe, never an fd of the host's log file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "logsink.h"

#define MAX_HEALTH_ARGS 32
enum { POLICY_NO, POLICY_ON_FAILURE, POLICY_ALWAYS };

static struct {
  int ready_fd, console_fd, pdeathsig, ns_flags, new_pid, policy, restart_max;
  const char *pid_file, *exit_file, *log, *restart_file;
  long long log_max, health_ms;
  char *health[MAX_HEALTH_ARGS + 1];
  int nhealth;
  char **cmd;
} o = { .ready_fd = -1, .console_fd = -1, .log_max = 10 * 1024 * 1024 };

/* One start of the container: its init and the fds the monitor watches for it (-1 once done). */
static struct {
  pid_t pid;
  int status, exited, out, csock, master, ready, said_ready;
  long long started;
} cur;

static int caller = -1; /* the caller's end of the launch protocol, first start only */
static int sfd = -1;    /* signalfd: SIGCHLD, SIGUSR1 */
static sigset_t orig_mask;
static int stop_requested;
static pid_t health_pid;
static struct logsink sink;

static void fail(const char *what) {
  fprintf(stderr, "conductor-monitor: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void usage(const char *what) {
  fprintf(stderr, "conductor-monitor: %s\n", what);
  exit(125);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Out of the way of the fd numbers the child gets (ready fd, console socket, the caller's 4..). */
static int high(int fd) {
  int h = fcntl(fd, F_DUPFD_CLOEXEC, 100);
  if (h < 0) fail("fcntl(F_DUPFD_CLOEXEC)");
  close(fd);
  return h;
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

/* Readers (stop, exec, ps) never see a half-written file: written aside, then renamed over. */
static void write_file(const char *path, const char *text) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) usage("path too long");
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (fd < 0) fail(tmp);
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) fail(tmp);
  close(fd);
  if (rename(tmp, path) < 0) fail(path);
}

static void parse_ns(const char *list) {
  char *copy = strdup(list), *save = NULL;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (strcmp(t, "uts") == 0) o.ns_flags |= CLONE_NEWUTS;
    else if (strcmp(t, "ipc") == 0) o.ns_flags |= CLONE_NEWIPC;
    else if (strcmp(t, "net") == 0) o.ns_flags |= CLONE_NEWNET;
    else if (strcmp(t, "pid") == 0) o.new_pid = 1;
    else usage("--ns takes uts, ipc, net, pid");
  }
  free(copy);
}

static void parse_args(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { o.cmd = &argv[i + 1]; break; }
    if (strcmp(argv[i], "--pdeathsig") == 0) { o.pdeathsig = 1; continue; }
    if (i + 1 >= argc) { fprintf(stderr, "conductor-monitor: %s needs a value\n", argv[i]); exit(125); }
    const char *a = argv[i], *v = argv[++i];
    if (strcmp(a, "--ready-fd") == 0) o.ready_fd = atoi(v);
    else if (strcmp(a, "--pid-file") == 0) o.pid_file = v;
    else if (strcmp(a, "--exit-file") == 0) o.exit_file = v;
    else if (strcmp(a, "--log") == 0) o.log = v;
    else if (strcmp(a, "--log-max") == 0) o.log_max = atoll(v);
    else if (strcmp(a, "--console-socket") == 0) o.console_fd = atoi(v);
    else if (strcmp(a, "--ns") == 0) parse_ns(v);
    else if (strcmp(a, "--restart-max") == 0) o.restart_max = atoi(v);
    else if (strcmp(a, "--restart-file") == 0) o.restart_file = v;
    else if (strcmp(a, "--health-interval-ms") == 0) o.health_ms = atoll(v);
    else if (strcmp(a, "--health-arg") == 0) {
      if (o.nhealth == MAX_HEALTH_ARGS) usage("too many --health-arg");
      o.health[o.nhealth++] = (char *)v;
    } else if (strcmp(a, "--restart") == 0) {
      if (strcmp(v, "no") == 0) o.policy = POLICY_NO;
      else if (strcmp(v, "on-failure") == 0) o.policy = POLICY_ON_FAILURE;
      else if (strcmp(v, "always") == 0 || strcmp(v, "unless-stopped") == 0) o.policy = POLICY_ALWAYS;
      else usage("--restart takes no, on-failure, always, unless-stopped");
    } else { fprintf(stderr, "conductor-monitor: unknown option %s\n", a); exit(125); }
  }
  if (!o.cmd || !o.cmd[0]) usage("no command after --");
  if (o.console_fd >= 0 && (o.console_fd < 3 || !o.log)) usage("--console-socket needs a fd > 2 and --log");
  if (o.health_ms > 0 && o.nhealth == 0) usage("--health-interval-ms needs --health-arg");
}

static void socket_pair(int sv[2]) {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) fail("socketpair");
  sv[0] = high(sv[0]);
  sv[1] = high(sv[1]);
}

/* Start the init helper: PID 1 of a new PID namespace (--ns pid), or a plain child (exec -d). */
static void spawn(int first) {
  int out[2] = { -1, -1 }, sv[2] = { -1, -1 }, rd[2] = { -1, -1 };
  if (o.log) {
    if (pipe2(out, O_CLOEXEC) < 0) fail("pipe");
    out[0] = high(out[0]);
    out[1] = high(out[1]);
  }
  if (o.console_fd >= 0) socket_pair(sv);
  if (o.ready_fd >= 0) socket_pair(rd);
  pid_t pid = o.new_pid ? (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0) : fork();
  if (pid < 0) fail("clone");
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &orig_mask, NULL);
    /* dup2 clears close-on-exec on the copies: the helper gets exactly these. */
    if (out[1] >= 0 && (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)) fail("dup2");
    if (rd[1] >= 0 && dup2(rd[1], o.ready_fd) < 0) fail("dup2 ready fd");
    if (sv[1] >= 0 && dup2(sv[1], o.console_fd) < 0) fail("dup2 console socket");
    execv(o.cmd[0], o.cmd);
    fail(o.cmd[0]);
  }
  /* Our copies of the helper's ends closed: a helper that dies early means EOF on ours. */
  for (int *fd = (int[]){ out[1], sv[1], rd[1] }, k = 0; k < 3; k++)
    if (fd[k] >= 0) close(fd[k]);
  memset(&cur, 0, sizeof cur);
  cur.pid = pid;
  cur.out = out[0];
  cur.csock = sv[0];
  cur.master = -1;
  cur.ready = rd[0];
  cur.started = now_ms();
  char line[64];
  if (o.pid_file) {
    snprintf(line, sizeof line, "%d %llu\n", (int)pid, start_time(pid));
    write_file(o.pid_file, line);
  }
  if (first && caller >= 0) {
    snprintf(line, sizeof line, "%d\n", (int)pid);
    if (write(caller, line, strlen(line)) < 0) { /* the caller gave up: relayed as EOF below */ }
  }
  /* A restart: the network exists already, the go is ours to give. */
  if (!first && cur.ready >= 0 && write(cur.ready, "G", 1) != 1) { /* helper gone: EOF below */ }
}

static void spawn_health(void) {
  pid_t pid = fork();
  if (pid < 0) return; /* try again at the next interval */
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &orig_mask, NULL);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    /* Nothing of the container's (cgroup.procs fds, the seccomp filter, the log) reaches it. */
    if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
      for (int fd = 3; fd < 1024; fd++) close(fd);
    char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
    execve(o.health[0], o.health, envp);
    _exit(127);
  }
  health_pid = pid;
}

/* Read what the signalfd holds: reap children, note a stop. */
static void on_signals(void) {
  struct signalfd_siginfo si;
  while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
    if (si.ssi_signo == SIGUSR1) stop_requested = 1;
  int st;
  pid_t pid;
  while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
    if (pid == cur.pid && !cur.exited) {
      cur.status = st;
      cur.exited = 1;
    } else if (pid == health_pid) health_pid = 0;
  }
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/* The caller's bytes ("G") go to the helper; its EOF before the command ran cancels the start. */
static void from_caller(void) {
  char buf[64];
  ssize_t n = read(caller, buf, sizeof buf);
  if (n > 0 && cur.ready >= 0) {
    if (write(cur.ready, buf, (size_t)n) < 0) { /* helper gone: EOF on cur.ready */ }
    return;
  }
  close_fd(&caller);
  if (!cur.said_ready) close_fd(&cur.ready);
}

/* The helper's "R" goes to the caller, whose part of the launch then ends. */
static void from_helper(void) {
  char buf[64];
  ssize_t n = read(cur.ready, buf, sizeof buf);
  if (n <= 0) return close_fd(&cur.ready); /* exec'd (close-on-exec) or gone */
  if (!memchr(buf, 'R', (size_t)n)) return;
  cur.said_ready = 1;
  if (caller >= 0 && write(caller, "R", 1) < 0) { /* the caller gave up */ }
  close_fd(&caller);
}

static void console_arrived(void) {
  cur.master = console_receive(cur.csock);
  /* Nobody sizes a detached pty; the go is all the helper needs. */
  if (cur.master >= 0) console_release(cur.csock);
  close_fd(&cur.csock);
}

/* Until this start's init has exited and its output is drained; health checks meanwhile. */
static void watch(void) {
  long long next_health = o.health_ms > 0 ? cur.started + o.health_ms : -1;
  while (!cur.exited || cur.out >= 0 || cur.master >= 0 || cur.csock >= 0) {
    struct pollfd p[6];
    int *fds[6] = { &sfd, &caller, &cur.ready, &cur.out, &cur.csock, &cur.master }, n = 0, which[6];
    for (int k = 0; k < 6; k++)
      if (*fds[k] >= 0) p[n] = (struct pollfd){ .fd = *fds[k], .events = POLLIN }, which[n++] = k;
    int timeout = -1;
    if (next_health >= 0 && !cur.exited) {
      long long left = next_health - now_ms();
      timeout = left < 0 ? 0 : (int)left;
    }
    if (poll(p, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    for (int i = 0; i < n; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      switch (which[i]) {
        case 0: on_signals(); break;
        case 1: if (caller >= 0) from_caller(); break;
        case 2: if (cur.ready >= 0) from_helper(); break;
        case 3: if (!logsink_copy(&sink, cur.out)) close_fd(&cur.out); break;
        case 4: if (cur.csock >= 0) console_arrived(); break;
        case 5: if (!logsink_copy(&sink, cur.master)) close_fd(&cur.master); break;
      }
    }
    if (next_health >= 0 && !cur.exited && now_ms() >= next_health) {
      if (cur.said_ready && health_pid == 0) spawn_health();
      next_health = now_ms() + o.health_ms;
    }
  }
  close_fd(&cur.ready);
}

/* Sleep ms, or less if a stop comes. */
static void backoff(long long ms) {
  long long until = now_ms() + ms;
  for (long long left = ms; left > 0 && !stop_requested; left = until - now_ms()) {
    struct pollfd p = { .fd = sfd, .events = POLLIN };
    if (poll(&p, 1, (int)left) > 0) on_signals();
  }
  on_signals(); /* a stop that came at the last moment */
}

static int restart_wanted(int code, int restarts) {
  if (stop_requested || !cur.said_ready) return 0; /* stopped, or never reached its command */
  if (o.policy == POLICY_ALWAYS) return 1;
  return o.policy == POLICY_ON_FAILURE && code != 0 && (o.restart_max == 0 || restarts < o.restart_max);
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  if (o.pdeathsig && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl(PR_SET_PDEATHSIG)");
  /* The terminal's SIGINT/SIGQUIT reach the container's processes directly; the monitor must
   * outlive them to collect the status. (The init helper resets every signal to default.) */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  if (o.ns_flags && unshare(o.ns_flags) < 0) fail("unshare");
  if (o.ready_fd >= 0) caller = high(o.ready_fd);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &set, &orig_mask) < 0) fail("sigprocmask");
  if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) fail("signalfd");
  sfd = high(sfd);
  if (o.log) logsink_open(&sink, o.log, o.log_max);

  int code, restarts = 0;
  long long delay = 100;
  for (;;) {
    spawn(restarts == 0);
    watch();
    code = WIFEXITED(cur.status) ? WEXITSTATUS(cur.status) : 128 + WTERMSIG(cur.status);
    if (!restart_wanted(code, restarts)) break;
    if (now_ms() - cur.started >= 10000) delay = 100;
    char line[64];
    snprintf(line, sizeof line, "%d %d\n", ++restarts, code);
    if (o.restart_file) write_file(o.restart_file, line);
    backoff(delay);
    if (stop_requested) break;
    delay = delay * 2 > 60000 ? 60000 : delay * 2;
  }
  if (o.exit_file) {
    char line[64];
    snprintf(line, sizeof line, "%d\n", code);
    write_file(o.exit_file, line);
  }
  return code;
}
