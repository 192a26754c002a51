/* The monitor's capped log copier (logsink.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "logsink.h"

void logsink_open(struct logsink *s, const char *file, long long max) {
  s->max = max;
  s->last_ms = -1;
  s->full = 0;
  s->fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (s->fd < 0) {
    fprintf(stderr, "conductor-monitor: %s: %s\n", file, strerror(errno));
    exit(125);
  }
  char idx_path[4096];
  s->idx = -1;
  if (snprintf(idx_path, sizeof idx_path, "%s.times", file) < (int)sizeof idx_path)
    s->idx = open(idx_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
}

/*
 * The log's time index: one "OFFSET UNIX_MS" line per write whose millisecond differs from this
 * copier's previous one, so `logs --since/--timestamps` can date each line without the log itself
 * changing format. Appended under the log's flock (entries stay in offset order across copiers)
 * and capped at a quarter of the log's cap; past it, later lines take the last time.
 */
static void index_write(struct logsink *s, long long offset) {
  struct timespec ts;
  if (s->idx < 0 || clock_gettime(CLOCK_REALTIME, &ts) < 0) return;
  long long ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  if (ms == s->last_ms) return;
  struct stat st;
  if (fstat(s->idx, &st) < 0 || st.st_size >= s->max / 4) return;
  char line[64];
  int len = snprintf(line, sizeof line, "%lld %lld\n", offset, ms);
  if (write(s->idx, line, (size_t)len) == len) s->last_ms = ms;
}

/*
 * The cap is the file's, not this copier's: the container's monitor and the copiers of detached
 * execs append to the same log, each measuring the file under an exclusive flock so that together
 * they never pass it.
 */
int logsink_copy(struct logsink *s, int in) {
  char buf[16384];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) < 0 && errno == EINTR) {}
  if (n <= 0) return 0; /* EOF; or EIO, a pty whose last slave closed */
  if (s->full) return 1;
  while (flock(s->fd, LOCK_EX) < 0 && errno == EINTR) {}
  struct stat st;
  long long size = fstat(s->fd, &st) == 0 ? (long long)st.st_size : s->max;
  long long room = s->max - size;
  size_t keep = room <= 0 ? 0 : (size_t)(n < room ? n : room);
  if (keep > 0) index_write(s, size);
  for (size_t off = 0; off < keep;) {
    ssize_t w = write(s->fd, buf + off, keep - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      s->full = 1; /* the log is unusable: keep draining */
      break;
    }
    off += (size_t)w;
  }
  if (room - (long long)keep <= 0) s->full = 1; /* the file never shrinks */
  flock(s->fd, LOCK_UN);
  return 1;
}
