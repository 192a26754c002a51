/**
 * The plan of an exec, pure: the init helper's argv that enters a running container's namespaces
 * (--join, by pidfd) and runs the command there with the container's environment and restrictions.
 */
import { INIT_HELPER } from '../config.ts';
import type { ContainerRecord, ProcessRef } from '../types.ts';
import { mergeEnv } from '../image/image-config.ts';
import { containerEnv, securityArgs } from './launch-plan.ts';

/**
 * The argv: the helper joins every namespace of the init (the PID and its start time, so that a
 * reused PID is refused) and forks into its PID namespace, joins the cgroups on `cgroupFds`, and
 * drops to the container's restrictions. With `consoleFd` (-t) it makes a pty inside the
 * container and sends its master over that socket; with `seccompFd` it installs that filter last.
 *
 * @example
 * planExec(rec, { pid: 4121, startTime: '9876' }, ['ls'], {}, [3]);
 * // ['/…/native/conductor-init', '--join', '4121:9876', '--cgroup-fd', '3', ..., '--', 'ls']
 */
export function planExec(
  rec: ContainerRecord,
  init: ProcessRef,
  command: string[],
  opts: { env?: string[]; workdir?: string; user?: string; tty?: boolean },
  cgroupFds: number[],
  fds: { consoleFd?: number; seccompFd?: number } = {},
): string[] {
  const user = opts.user ?? rec.user;
  // A user other than root gets HOME from the image's passwd (the helper), unless the env names one.
  // `opts.env` comes with the caller's values filled in (withCallerValues); a bare K unsets K.
  const env = mergeEnv(
    mergeEnv(containerEnv(rec.hostname, Boolean(opts.tty), user === undefined), rec.env),
    opts.env ?? [],
  );
  const helper = [INIT_HELPER, '--join', `${init.pid}:${init.startTime}`];
  for (const fd of cgroupFds) helper.push('--cgroup-fd', String(fd));
  helper.push('--workdir', opts.workdir ?? rec.workdir);
  for (const e of env) helper.push('--env', e);
  if (user !== undefined) helper.push('--user', user);
  if (fds.consoleFd !== undefined) helper.push('--console-socket', String(fds.consoleFd));
  helper.push(...securityArgs(rec.security));
  if (fds.seccompFd !== undefined) helper.push('--seccomp-fd', String(fds.seccompFd));
  helper.push('--', ...command);
  return helper;
}
