/**
 * What stop (and prune) would change on the host, as shell lines, for `--dry-run`: the same data
 * stop works from (the record's processes, cgroups and undo steps, the container's directory),
 * read once and changed in nothing. Pure: the caller gathers liveness and paths.
 */
import { describeCommand } from '../network/describe.ts';
import type { ContainerRecord, HostOp } from '../types.ts';

export interface StopPlanInput {
  name: string;
  /** null: a half-made container directory without a record. */
  rec: ContainerRecord | null;
  /** The container's directory, removed last. */
  dir: string;
  initAlive: boolean;
  monitorAlive: boolean;
  timeoutSeconds: number;
  /** The first signal, as given (`SIGTERM`, `15`, `SIGRTMIN+3`): the override, else the image's STOPSIGNAL. */
  signal: string;
  /** Hosts files of its peers, which lose its line. */
  peerHosts: { name: string; file: string }[];
  /** Cgroup directories stop would find without a record of them (a half-made run's). */
  strayCgroups: string[];
}

/**
 * Each host change, newest undo first, as a comment line and its shell equivalent.
 * @example
 * planStop({ name: 'web', rec, dir, initAlive: true, monitorAlive: true, timeoutSeconds: 10, peerHosts: [],
 *   strayCgroups: [] })
 */
export function planStop(p: StopPlanInput): string[] {
  const out: string[] = [`# stop container "${p.name}"`];
  const rec = p.rec;
  if (rec?.init && p.initAlive) {
    out.push(
      p.timeoutSeconds > 0
        ? `kill -${p.signal.replace(/^SIG/, '')} ${rec.init.pid}   # its init; ` +
            `still alive after ${p.timeoutSeconds} s: kill -KILL ${rec.init.pid}`
        : `kill -KILL ${rec.init.pid}   # its init`,
    );
  }
  if (rec?.monitor && p.monitorAlive)
    out.push(`kill -KILL -- -${rec.monitor.pid}   # the monitor's process group, if it outlives the init`);
  const cgroups = [...(rec?.cgroups ?? []), ...p.strayCgroups];
  for (const cg of cgroups)
    out.push(`echo 1 > ${cg}/cgroup.kill   # any process left in its cgroup (v1: SIGKILL each pid in cgroup.procs)`);
  for (const u of [...(rec?.undo ?? [])].reverse()) out.push(`# ${u.about}`, ...describeCommand(u.op));
  if (rec?.network) {
    for (const peer of p.peerHosts) {
      const op: HostOp = { kind: 'hosts', action: 'remove', file: peer.file, ip: rec.network.ip, name: p.name };
      out.push(`# forget "${p.name}" in "${peer.name}"`, ...describeCommand(op));
    }
  }
  for (const cg of cgroups) out.push(`rmdir ${cg}   # and any child cgroups, deepest first`);
  out.push(
    `${describeCommand({ kind: 'exec', argv: ['rm', '-rf', p.dir] })[0]}   ` +
      '# refused while anything is mounted under it',
  );
  return out;
}
