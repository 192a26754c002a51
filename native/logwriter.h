#ifndef CONDUCTOR_LOGWRITER_H
#define CONDUCTOR_LOGWRITER_H
/* Copy stdin to file up to max bytes, then drain; returns the exit code. */
int log_writer(const char *file, const char *max);
#endif
