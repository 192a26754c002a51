/**
 * What `exec --dry-run` prints, pure: the one process exec would start and what it is handed.
 * exec makes no host change of its own: the process joins the container's existing namespaces
 * and cgroups (a detached one's output is appended to the container's log, through the monitor).
 */
import { displayCommand } from '../display.ts';

export interface ExecDryInput {
  name: string;
  /** The argv exec spawns, with an empty environment. */
  argv: string[];
  /** The files on its fds 3..: the cgroups' join files it writes itself into, the seccomp filter. */
  fds: string[];
  /** The cgroup directories those join files belong to (the container record's). */
  cgroups: string[];
  detach: boolean;
}

/**
 * @example
 * const argv = ['/x/conductor-init', '--join', '4121:9876', '--cgroup-fd', '3', '--', 'ls'];
 * const cgroups = ['/sys/fs/cgroup/pids/conductor/web'];
 * planExecDry({ name: 'web', argv, fds: [`${cgroups[0]}/tasks`], cgroups, detach: false });
 * // ['# exec in container "web": a process in its namespaces; fds 3=/sys/fs/cgroup/pids/conductor/web/tasks',
 * //  '# it joins the cgroups /sys/fs/cgroup/pids/conductor/web',
 * //  '/x/conductor-init --join 4121:9876 --cgroup-fd 3 -- ls']
 */
export function planExecDry(p: ExecDryInput): string[] {
  const fds = p.fds.map((f, i) => `${3 + i}=${f}`).join(', ');
  const out = [`# exec in container "${p.name}": a process in its namespaces; fds ${fds}`];
  if (p.cgroups.length) out.push(`# it joins the cgroups ${p.cgroups.join(' ')}`);
  if (p.detach) out.push("# detached: under the monitor, which appends its output to the container's log");
  out.push(displayCommand(p.argv));
  return out;
}
