/* Running the init helper only from a sealed in-memory copy of itself (CVE-2019-5736). */
#ifndef CONDUCTOR_SEALED_EXE_H
#define CONDUCTOR_SEALED_EXE_H

/*
 * If /proc/self/exe is not already a sealed memfd, copy it into one and re-exec that copy with
 * the same argv and environment. Returns only in the sealed copy; exits 125 on any failure (never
 * runs on from the host file). The copy carries F_SEAL_SEAL|SHRINK|GROW|WRITE: through
 * /proc/PID/exe a container sees a file nobody can change, never the host's binary.
 */
void ensure_sealed_exe(char **argv);

#endif
