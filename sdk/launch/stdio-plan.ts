/**
 * Which of the caller's stdio fds a container process gets. A terminal never goes in: whoever holds
 * an fd of the caller's terminal can ioctl it (TIOCSTI types into the admin's shell, TIOCSETD,
 * TIOCCONS...), so without -t a terminal is replaced by a pipe the CLI copies (podman's way), and
 * with -t the container gets a pty of its own (native/console.c) joined to the terminal by the relay.
 * Files and pipes are passed as they are: nothing to copy, and nothing the container can't do with
 * them that the caller's redirection didn't already allow.
 */

export type StdinSource = 'inherit' | 'ignore' | 'stream';

export interface StdioPlan {
  /** spawn()'s stdio for fds 0, 1, 2. */
  stdio: ['inherit' | 'ignore' | 'pipe', 'inherit' | 'pipe', 'inherit' | 'pipe'];
  /** Copy the caller's stdin (a terminal) into the pipe. */
  copyStdin: boolean;
  /** Copy the pipe out to the caller's stdout / stderr (terminals). */
  copyStdout: boolean;
  copyStderr: boolean;
}

/**
 * @param stdin 'inherit': the caller's fd 0; 'stream': the SDK caller feeds a pipe
 * @param collect the output is collected by the SDK (pipes), not the caller's
 * @param relay the process spawned is the -t relay (trusted host code that holds the terminal)
 * @example planStdio('inherit', false, false, (fd) => fd === 0).stdio  // ['pipe', 'inherit', 'inherit']
 */
export function planStdio(
  stdin: StdinSource,
  collect: boolean,
  relay: boolean,
  isTerminal: (fd: number) => boolean,
): StdioPlan {
  const pass = (fd: number) => relay || !isTerminal(fd);
  const copyStdin = stdin === 'inherit' && !pass(0);
  const copyStdout = !collect && !pass(1);
  const copyStderr = !collect && !pass(2);
  return {
    stdio: [
      stdin === 'ignore' ? 'ignore' : stdin === 'stream' || copyStdin ? 'pipe' : 'inherit',
      collect || copyStdout ? 'pipe' : 'inherit',
      collect || copyStderr ? 'pipe' : 'inherit',
    ],
    copyStdin,
    copyStdout,
    copyStderr,
  };
}
