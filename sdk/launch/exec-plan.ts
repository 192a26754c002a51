/**
 * The plan of an exec, pure: the nsenter argv that enters a running container's namespaces and
 * hands over to the init helper (fd 3), with the container's environment and restrictions.
 */
import { LAUNCH_TOOLS } from '../config.ts';
import type { ContainerRecord } from '../types.ts';
import { mergeEnv } from '../image/image-config.ts';
import { containerEnv, securityArgs } from './launch-plan.ts';

/**
 * The argv: nsenter into every namespace of the init, then the helper from fd 3. With `consoleFd`
 * (-t) the helper makes a pty inside the container and sends its master over that socket; with
 * `seccompFd` it installs that filter last.
 *
 * @example
 * planExec(rec, 4121, ['ls'], {}, [4], true);
 * // ['/usr/bin/nsenter', '-t', '4121', '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w',
 * //  '/proc/self/fd/3', '--cgroup-fd', '4', ..., '--', 'ls']
 */
export function planExec(
  rec: ContainerRecord,
  initPid: number,
  command: string[],
  opts: { env?: string[]; workdir?: string; user?: string; tty?: boolean },
  cgroupFds: number[],
  hasCgroupNs: boolean,
  fds: { consoleFd?: number; seccompFd?: number } = {},
): string[] {
  const ns = ['-m', '-u', '-i', '-n', '-p', ...(hasCgroupNs ? ['-C'] : []), '-r', '-w'];
  const user = opts.user ?? rec.user;
  // A user other than root gets HOME from the image's passwd (the helper), unless the env names one.
  // `opts.env` comes with the caller's values filled in (withCallerValues); a bare K unsets K.
  const env = mergeEnv(
    mergeEnv(containerEnv(rec.hostname, Boolean(opts.tty), user === undefined), rec.env),
    opts.env ?? [],
  );
  const helper = ['/proc/self/fd/3', ...cgroupFds.flatMap((fd) => ['--cgroup-fd', String(fd)])];
  helper.push('--workdir', opts.workdir ?? rec.workdir);
  for (const e of env) helper.push('--env', e);
  if (user !== undefined) helper.push('--user', user);
  if (fds.consoleFd !== undefined) helper.push('--console-socket', String(fds.consoleFd));
  helper.push(...securityArgs(rec.security));
  if (fds.seccompFd !== undefined) helper.push('--seccomp-fd', String(fds.seccompFd));
  helper.push('--', ...command);
  return [LAUNCH_TOOLS.nsenter, '-t', String(initPid), ...ns, ...helper];
}
