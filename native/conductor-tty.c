/*
 * conductor-tty: the caller's end of `run -t` / `exec -t` (what podman's conmon + attach, or
 * runc's recvtty, do). Node cannot receive a file descriptor over a socket, hence this relay.
 *
 *   conductor-tty --console-fd N [--stdin] -- LAUNCH-ARGV...
 *
 * It makes a socket pair, runs LAUNCH-ARGV in a session of its own with one end at fd N (every
 * other fd it inherited, the launch protocol's ready fd and cgroup fds, passes through as is),
 * receives the pty master the init helper opened inside the container (native/console.c), sizes
 * it from the caller's terminal and lets the helper go on. Then it copies the pty's output to
 * stdout and, with --stdin, stdin to the pty, with the caller's terminal in raw mode so that
 * Ctrl-C, Ctrl-Z and friends reach the container's foreground job through ITS terminal. Resizes
 * (SIGWINCH) follow. It exits with LAUNCH-ARGV's status once the container has closed its end of
 * the pty, and always puts the caller's terminal back as it found it first, including on SIGTERM
 * and SIGHUP, and when its caller dies (on its own SIGKILL it cannot). The caller's terminal fds go to LAUNCH-ARGV only for the
 * helper's own error messages; the helper replaces them with the pty before the command runs.
 * Runs on the host only: linked dynamically.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "console.h"

static int term_fd = -1; /* the caller's terminal (first of 0, 1, 2 that is one), -1: none */
static struct termios saved;
static int raw_set;

static void restore_terminal(void) {
  if (raw_set) {
    /* TCSADRAIN: what the container printed last reaches the screen under the same settings. */
    while (tcsetattr(term_fd, TCSADRAIN, &saved) < 0 && errno == EINTR) {}
    raw_set = 0;
  }
}

static void fail(const char *what) {
  int e = errno;
  restore_terminal();
  fprintf(stderr, "conductor-tty: %s: %s\n", what, strerror(e));
  exit(125);
}

static void copy_winsize(int master) {
  struct winsize ws;
  if (term_fd >= 0 && ioctl(term_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) ioctl(master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd pf = { fd, POLLOUT, 0 };
      poll(&pf, 1, -1);
      continue;
    }
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int main(int argc, char **argv) {
  int console_fd = -1, relay_stdin = 0;
  char **cmd = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { cmd = &argv[i + 1]; break; }
    if (strcmp(argv[i], "--stdin") == 0) { relay_stdin = 1; continue; }
    if (strcmp(argv[i], "--console-fd") == 0 && i + 1 < argc) {
      char *end;
      long fd = strtol(argv[++i], &end, 10);
      if (*end || fd < 3 || fd > 1024) { fprintf(stderr, "conductor-tty: bad --console-fd\n"); return 125; }
      console_fd = (int)fd;
      continue;
    }
    fprintf(stderr, "conductor-tty: unknown option %s\n", argv[i]);
    return 125;
  }
  if (console_fd < 0 || !cmd || !cmd[0]) {
    fprintf(stderr, "usage: conductor-tty --console-fd N [--stdin] -- LAUNCH-ARGV...\n");
    return 125;
  }
  for (int fd = 0; fd <= 2 && term_fd < 0; fd++)
    if (isatty(fd)) term_fd = fd;

  /* Signals arrive through a signalfd, so the copy loop sees a resize or SIGCHLD in order with the
   * data. SIGINT/SIGQUIT/SIGTSTP: the caller's own handling (the CLI forwards them to the
   * container); they must never stop or kill the relay with the terminal left raw. */
  sigset_t mask, old;
  sigemptyset(&mask);
  int handled[] = { SIGCHLD, SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP };
  for (size_t i = 0; i < sizeof handled / sizeof *handled; i++) sigaddset(&mask, handled[i]);
  if (sigprocmask(SIG_BLOCK, &mask, &old) < 0) fail("sigprocmask");
  /* A caller that closed our stdout gets EPIPE, not a relay killed with its terminal raw. */
  signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) fail("signalfd");
  /* A caller that dies (even of SIGKILL) hangs us up: the terminal is restored and, as without -t,
   * the container dies with its caller. Checked after setting it, in case it died before. */
  pid_t caller = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGHUP, 0, 0, 0) < 0) fail("prctl(PR_SET_PDEATHSIG)");
  if (getppid() != caller) return 125;

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) fail("socketpair");
  pid_t relay = getpid(), child = fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    /* No controlling terminal for anything of the container's; and it dies with us. */
    if (setsid() < 0) fail("setsid");
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail("prctl(PR_SET_PDEATHSIG)");
    if (getppid() != relay) _exit(125); /* we died before the line above */
    if (sv[1] == console_fd) {
      if (fcntl(console_fd, F_SETFD, 0) < 0) fail("fcntl console socket");
    } else if (dup2(sv[1], console_fd) < 0) fail("dup2 console socket");
    if (relay_stdin) {
      /* The helper never reads stdin before the pty replaces it. */
      int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null < 0 || dup2(null, 0) < 0) fail("/dev/null");
    }
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(cmd[0], cmd);
    fail(cmd[0]);
  }
  close(sv[1]);

  int master = console_receive(sv[0]);
  int status = 0, exited = 0;
  if (master < 0) {
    /* The launch failed before the pty existed (it said why on stderr): its status is ours. */
    close(sv[0]);
    while (waitpid(child, &status, 0) < 0)
      if (errno != EINTR) fail("waitpid");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  copy_winsize(master);
  if (relay_stdin && term_fd == 0) {
    if (tcgetattr(0, &saved) < 0) fail("tcgetattr");
    struct termios raw = saved;
    /* No output processing either: the container's pty already turned \n into \r\n. */
    cfmakeraw(&raw);
    if (tcsetattr(0, TCSANOW, &raw) < 0) fail("tcsetattr");
    raw_set = 1;
  }
  if (console_release(sv[0]) < 0) { /* the helper is gone: its status tells */ }
  close(sv[0]);
  if (fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) < 0) fail("fcntl master");

  char buf[16384], pend[16384];
  size_t plen = 0, poff = 0; /* read from stdin, not yet taken by the pty */
  int in_open = relay_stdin, master_open = 1;
  for (;;) {
    if (exited && !master_open) break;
    /* Input waits while the pty's input queue is full, output never does: a container that does not
     * read its terminal must not block its output. */
    struct pollfd p[3] = {
      { sfd, POLLIN, 0 },
      { master_open ? master : -1, (short)(POLLIN | (plen ? POLLOUT : 0)), 0 },
      { in_open && !plen ? 0 : -1, POLLIN, 0 },
    };
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    /* Signals first: a resize made before the keystrokes that follow it is applied before them. */
    if (p[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGWINCH) copy_winsize(master);
        else if (sig == SIGCHLD) {
          if (!exited && waitpid(child, &status, WNOHANG) == child) exited = 1;
        } else if (sig == SIGTERM || sig == SIGHUP) {
          /* Our death takes the container with it (PDEATHSIG): die of the signal, terminal restored. */
          restore_terminal();
          signal(sig, SIG_DFL);
          sigprocmask(SIG_SETMASK, &old, NULL);
          raise(sig);
          _exit(128 + sig);
        }
      }
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buf, sizeof buf);
      if (n > 0) {
        /* A caller that stopped reading (a closed pipe) must not stop the container: drop. */
        if (write_all(1, buf, (size_t)n) < 0) { }
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        /* EIO: every process of the container has closed the slave. */
        master_open = 0;
        plen = 0;
      }
    }
    if (plen && master_open && (p[1].revents & POLLOUT)) {
      ssize_t w = write(master, pend + poff, plen - poff);
      if (w > 0 && (poff += (size_t)w) == plen) plen = poff = 0;
    }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, pend, sizeof pend);
      if (n > 0) {
        plen = (size_t)n;
        poff = 0;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        in_open = 0;
        /* Piped input ended: tell the container's side as a terminal would (^D at a line start). */
        struct termios t;
        if (tcgetattr(master, &t) == 0 && (t.c_lflag & ICANON)) {
          pend[0] = (char)t.c_cc[VEOF];
          plen = 1;
          poff = 0;
        }
      }
    }
  }
  restore_terminal();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
