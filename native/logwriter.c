/*
 * `conductor-init --log-writer FILE MAXBYTES`: a detached container's log. Appends stdin to FILE
 * until FILE holds MAXBYTES, then reads and drops the rest, so the container never blocks on a full
 * pipe or dies of SIGPIPE, and the log never outgrows its cap. No buffering: `logs` sees each
 * write at once. A static binary of a few pages: cheaper to keep per container than a shell
 * pipeline or podman's conmon.
 */
#define _GNU_SOURCE
#include "logwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int log_writer(const char *file, const char *max_arg) {
  char *end;
  long long max = strtoll(max_arg, &end, 10);
  if (*end || max < 0) {
    fprintf(stderr, "conductor-init: bad log size \"%s\"\n", max_arg);
    return 125;
  }
  int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    fprintf(stderr, "conductor-init: open %s: %s\n", file, strerror(errno));
    return 125;
  }
  struct stat st;
  long long written = fstat(fd, &st) == 0 ? (long long)st.st_size : 0;
  char buf[65536];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    long long room = max - written;
    if (room <= 0) continue; /* over the cap: drain */
    size_t keep = (size_t)(n < room ? n : room);
    for (size_t off = 0; off < keep;) {
      ssize_t w = write(fd, buf + off, keep - off);
      if (w < 0) {
        if (errno == EINTR) continue;
        written = max; /* the log file is unusable: keep draining */
        break;
      }
      off += (size_t)w;
    }
    written += (long long)keep;
  }
}
