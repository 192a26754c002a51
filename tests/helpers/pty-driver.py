#!/usr/bin/env python3
"""The admin's terminal for tests: runs a command on a fresh pty, as its session leader's
controlling terminal, and drives it from the test.

    pty-driver.py ROWS COLS -- CMD [ARG]...

stdin carries control lines (the test writes them):
    type <hex>           bytes typed on the keyboard
    resize <rows> <cols> the window changes size (the kernel sends SIGWINCH to the foreground job)
    termios              reply on stderr with the terminal's settings now, one JSON line
    termios-initial      ... and as they were before the command started
stdout carries everything the terminal shows, byte for byte. Exits with the command's status
once the command has exited and nothing holds the terminal any more.
"""
import fcntl
import json
import os
import pty
import select
import struct
import sys
import termios


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))


def main():
    args = sys.argv[1:]
    if len(args) < 4 or args[2] != '--':
        sys.stderr.write(__doc__)
        return 2
    rows, cols, cmd = int(args[0]), int(args[1]), args[3:]
    master, slave = os.openpty()
    set_size(slave, rows, cols)
    initial = termios.tcgetattr(slave)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for fd in (0, 1, 2):
            os.dup2(slave, fd)
        if slave > 2:
            os.close(slave)
        os.execvp(cmd[0], cmd)
    os.close(slave)
    ctl = sys.stdin.buffer.raw
    ctl_open = True
    pending = b''
    status = None
    master_open = True
    while master_open or status is None:
        fds = ([master] if master_open else []) + ([ctl] if ctl_open else [])
        ready, _, _ = select.select(fds, [], [], 0.05 if not master_open else None)
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b''
            if data:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            else:
                master_open = False
        if ctl in ready:
            chunk = os.read(ctl.fileno(), 65536)
            if not chunk:
                ctl_open = False
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                word = line.split()
                if word and word[0] == b'type':
                    os.write(master, bytes.fromhex(word[1].decode()))
                elif word and word[0] == b'resize':
                    set_size(master, int(word[1]), int(word[2]))
                elif word and word[0] in (b'termios', b'termios-initial'):
                    # On a pty master, TCGETS reads the slave's settings (the kernel's tty_mode_ioctl).
                    t = initial if word[0] == b'termios-initial' else termios.tcgetattr(master)
                    sys.stderr.write(json.dumps([x if not isinstance(x, list) else [list(c) if isinstance(c, bytes) else c for c in x] for x in t]) + '\n')
                    sys.stderr.flush()
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = st
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == '__main__':
    sys.exit(main())
