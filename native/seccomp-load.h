#ifndef CONDUCTOR_SECCOMP_LOAD_H
#define CONDUCTOR_SECCOMP_LOAD_H

/* Reads the whole BPF program from fd (then closes it); exits 125 if it is not one. */
void seccomp_read_filter(int fd);

/* Installs the program read by seccomp_read_filter, if any; exits 125 on failure. Call it last
 * before execve: every syscall after it is filtered. */
void seccomp_install_filter(void);

#endif
