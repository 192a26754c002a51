/*
 * See console.h. Shared by the static init helper (console_setup) and the host-side relay and
 * monitor (console_receive/console_release).
 */
#define _GNU_SOURCE
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#define DEVPTS_MAGIC 0x1cd1
#define PTMX_MAJOR 5
#define PTMX_MINOR 2

static void fail(const char *step) {
  fprintf(stderr, "conductor-init: console: %s: %s\n", step, strerror(errno));
  exit(125);
}

/* The container's root may be hostile by the time exec runs: /dev/ptmx must be the ptmx of a devpts,
 * never a FIFO, a file or a host device node someone put there. */
static int is_ptmx(int fd) {
  struct stat st;
  struct statfs sf;
  return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == PTMX_MAJOR &&
         minor(st.st_rdev) == PTMX_MINOR && fstatfs(fd, &sf) == 0 && sf.f_type == DEVPTS_MAGIC;
}

static int send_fd(int sock, int fd) {
  char byte = 'M';
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ssize_t n;
  while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
  return n == 1 ? 0 : -1;
}

void console_setup(int sock) {
  /* TIOCSCTTY needs a session leader without a terminal; a caller may have made us one already. */
  if (getsid(0) != getpid() && setsid() < 0) fail("setsid");
  /* O_NOCTTY: the slave, not the master, is to be the controlling terminal. */
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) fail("open /dev/ptmx");
  if (!is_ptmx(master)) {
    errno = EPERM;
    fail("/dev/ptmx is not a devpts ptmx");
  }
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail("unlockpt");
  /* The peer of this very master, without a /dev/pts/N lookup the container could redirect. */
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) fail("open the pty slave");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) fail("TIOCSCTTY");
  if (send_fd(sock, master) < 0) fail("send the pty master");
  char go;
  ssize_t n;
  while ((n = read(sock, &go, 1)) < 0 && errno == EINTR) {}
  if (n != 1) {
    if (n == 0) errno = EPIPE;
    fail("the terminal's receiver went away");
  }
  /* No fd of the master may reach the command: it would let it read its own input back. */
  close(master);
  close(sock);
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(slave, fd) < 0) fail("dup2 the pty slave");
  if (slave > 2) close(slave);
}

int console_receive(int sock) {
  char byte;
  struct iovec iov = { &byte, 1 };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {}
  if (n <= 0) {
    if (n == 0) errno = EPIPE;
    return -1;
  }
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  int fd = -1;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
  /* Only the helper ever holds the other end, but check anyway: a pty master answers TIOCGPTN. */
  unsigned ptn;
  if (fd < 0 || (msg.msg_flags & MSG_CTRUNC) || ioctl(fd, TIOCGPTN, &ptn) < 0) {
    if (fd >= 0) close(fd);
    errno = EPROTO;
    return -1;
  }
  return fd;
}

int console_release(int sock) {
  ssize_t n;
  while ((n = send(sock, "G", 1, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
  return n == 1 ? 0 : -1;
}
