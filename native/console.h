/*
 * A container's terminal, the runc/conmon model: the pty is made INSIDE the container's own devpts
 * instance (so the command sees /dev/pts/N of its own /dev), and only the master end leaves it,
 * over a unix socket (SCM_RIGHTS), to the relay or the monitor on the host.
 */
#ifndef CONDUCTOR_CONSOLE_H
#define CONDUCTOR_CONSOLE_H

/*
 * Container side (init helper), after pivot_root (run) or nsenter (exec): become a session leader,
 * open /dev/ptmx, make the slave the controlling terminal and fds 0-2, send the master over SOCK
 * and wait for the receiver's one-byte go (it sizes the pty first, so the command never sees 0x0).
 * Closes SOCK and the master. Exits 125 on any failure.
 */
void console_setup(int sock);

/*
 * Host side: the master sent over SOCK, close-on-exec, checked to be a pty master; -1 with errno
 * set if the sender went away first (EPIPE) or sent something else (EPROTO).
 */
int console_receive(int sock);

/* Host side: let the container side go on (after sizing the pty). */
int console_release(int sock);

#endif
