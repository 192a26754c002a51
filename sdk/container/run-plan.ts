/**
 * What `run --dry-run` prints, pure: each host change run would make, in its order. The named
 * volumes it creates, the container's directory, record and files, its cgroups and the limits
 * written in them, the launch argv (whose init helper mounts the overlay and the binds in the
 * container's own mount namespace), the network wired while the command is held, and what the
 * exit does. The facts (paths, the cgroup plan, the argv) are gathered by run-dry-run.ts.
 */
import { displayCommand, shellWord as q } from '../display.ts';
import { lowerdirOption } from '../launch/launch-plan.ts';
import type { PlannedMount } from '../launch/mount-plan.ts';
import type { CgroupPlan, CgroupWrite } from '../limits/plan.ts';
import { describeCommand } from '../network/describe.ts';

export interface RunPlanInput {
  name: string;
  /** Named volumes that do not exist yet, created first (under the names lock, with the record). */
  newVolumes: { name: string; dir: string }[];
  /** The container's directory and its record (state.json) in it. */
  dir: string;
  record: string;
  /** Directories made in it (the overlay's upper, work and mount point). */
  dirs: string[];
  /** Files written in it, with their content. */
  files: { file: string; content: string }[];
  /** The compiled seccomp filter, copied into the directory (so every exec gets the same); null: unconfined. */
  filter: { from: string; to: string } | null;
  cgroups: CgroupPlan;
  overlay: { lowerdirs: string[]; upper: string; work: string; target: string };
  /** Files bind-mounted over the image's (hosts, hostname, resolv.conf), inside the rootfs. */
  binds: { src: string; dst: string }[];
  mounts: PlannedMount[];
  readOnly: boolean;
  /** The launch argv, as spawned (with no environment but CONDUCTOR_LAUNCH). */
  argv: string[];
  /** What its fds 3.. are. */
  fds: string[];
  /** The network wired while the command is held (describePlan lines); null: none. */
  network: string[] | null;
  /** The word standing for the init's host PID in `network`. */
  pidWord: string;
  detach: boolean;
  autoRemove: boolean;
}

function write(file: string, content: string, about = ''): string[] {
  if (content === '') return [`: > ${q(file)}${about}`];
  return describeCommand({ kind: 'write-in-place', file, content }).map((l, i) =>
    i === 0 ? l.replace(/ {3}# in place$/, about) : l,
  );
}

function cgroupWrite(w: CgroupWrite): string {
  const line = `${displayCommand(['echo', w.value])} > ${q(w.file)}`;
  return w.optional ? `${line}   # only if the kernel offers it` : line;
}

function cgroupLines(plan: CgroupPlan): string[] {
  const out: string[] = ['# its cgroups, and the limits written in them'];
  out.push(...plan.enable.map((e) => `${cgroupWrite(e)}   # the controllers, for the cgroups below`));
  for (const dir of plan.dirs) out.push(displayCommand(['mkdir', '-p', dir]));
  out.push(...plan.writes.map(cgroupWrite));
  const d = plan.devices;
  if (d.kind === 'bpf')
    out.push(`# attach a BPF device filter to ${d.cgroup} allowing ${d.rules.length} rules: ${d.rules.join(', ')}`);
  else if (d.kind === 'v1') out.push(`# read back ${d.list}: it must list exactly ${d.expect.join(', ')}`);
  else out.push(`# no device restriction (${d.reason})`);
  return out;
}

function mountLines(p: RunPlanInput): string[] {
  const root = p.overlay.target;
  const inRoot = (target: string): string => `${root}/${target.replace(/^\/+/, '')}`;
  const o = p.overlay;
  const out = [
    "# in the container's new mount namespace (gone with it), the init helper mounts:",
    displayCommand([
      'mount',
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lowerdirOption(o.lowerdirs)},upperdir=${o.upper},workdir=${o.work}`,
      root,
    ]),
  ];
  for (const b of p.binds) out.push(displayCommand(['mount', '--bind', b.src, inRoot(b.dst)]));
  for (const { mount: m, hostPath } of p.mounts) {
    const mode = m.readonly ? 'ro' : 'rw';
    const where = `   # ${m.target} resolved inside the container's root`;
    if (m.type === 'tmpfs') {
      const data = [mode, ...(m.options ?? [])].join(',');
      out.push(`${displayCommand(['mount', '-t', 'tmpfs', '-o', data, 'tmpfs', inRoot(m.target)])}${where}`);
    } else out.push(`${displayCommand(['mount', '--bind', '-o', mode, hostPath ?? '', inRoot(m.target)])}${where}`);
  }
  if (p.readOnly) out.push(displayCommand(['mount', '-o', 'remount,bind,ro', root]));
  return out;
}

/**
 * The plan as shell lines (comments say what runs in-process or inside the container).
 * @example planRun(input).join('\n')
 */
export function planRun(p: RunPlanInput): string[] {
  const out: string[] = [`# run container "${p.name}"`];
  for (const v of p.newVolumes) {
    out.push(`# create volume "${v.name}"`, displayCommand(['mkdir', '-p', `${v.dir}/_data`]));
    out.push(...write(`${v.dir}/volume.json`, '', '   # its record (JSON)'));
  }
  out.push('# its directory, its record and the files lent to it');
  out.push(displayCommand(['mkdir', '-m', '700', p.dir]));
  out.push(`: > ${q(p.record)}   # the record (JSON), marked "creating" until its init and monitor are recorded`);
  out.push(displayCommand(['mkdir', '-p', ...p.dirs]));
  for (const f of p.files) out.push(...write(f.file, f.content));
  if (p.filter)
    out.push(
      `${displayCommand(['ln', p.filter.from, p.filter.to])} || ${displayCommand(['cp', p.filter.from, p.filter.to])}` +
        '   # its seccomp filter, pinned',
    );
  out.push(...cgroupLines(p.cgroups));
  out.push(
    `# launch${p.detach ? ' (detached: the monitor outlives the caller)' : ''}; ` +
      `fds ${p.fds.map((f, i) => `${3 + i}=${f}`).join(', ')}`,
  );
  out.push(displayCommand(p.argv));
  out.push(...mountLines(p));
  if (p.network) {
    out.push(`# its network, wired while the command is held (${p.pidWord}: the init's host PID)`, ...p.network);
  }
  if (p.autoRemove) out.push('# when the command exits (--rm): removed as by `conductor stop`');
  return out;
}
