/*
 * The capped container log the monitor (and each `exec -d` copier) appends to: FILE, plus its time
 * index FILE.times, both shared by every copier of one container under FILE's flock.
 */
#ifndef CONDUCTOR_LOGSINK_H
#define CONDUCTOR_LOGSINK_H

struct logsink {
  int fd, idx;
  long long max, last_ms;
  int full;
};

/* Open (creating) FILE and FILE.times for appending; exits 125 if FILE cannot be opened. */
void logsink_open(struct logsink *s, const char *file, long long max);

/*
 * One read from IN into the log, up to the file's cap (past it, the bytes are read and dropped,
 * so the writer never blocks or dies of SIGPIPE). Returns 0 at EOF or on a read error (the caller
 * stops watching IN), 1 otherwise.
 */
int logsink_copy(struct logsink *s, int in);

#endif
