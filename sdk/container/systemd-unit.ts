/**
 * `generate systemd`, pure: a container's record as a systemd service that runs it anew at each
 * start (podman's `generate systemd --new`: the record of a container does not outlive its stop,
 * so there is nothing to `start` again), from the run options the record keeps.
 */
import type { ContainerRecord, Mount } from '../types.ts';
import { restartText } from './restart-policy.ts';

/** Where the unit runs conductor from, and for which state. */
export interface SystemdUnitOptions {
  /** The CLI's argv prefix, absolute: `[process.execPath, '<package>/dist/conductor.cjs']`. */
  conductor: string[];
  /** The state root (CONDUCTOR_ROOT) and base cache (CONDUCTOR_CACHE) of the container. */
  root: string;
  cache: string;
  /** `stop -t`: seconds between the stop signal and SIGKILL (default 10). */
  stopTimeoutSeconds?: number;
}

/** A word needs quoting in a unit's command line unless it is made of these (systemd.service(5)). */
const PLAIN = /^[A-Za-z0-9_@+=:,./-]+$/;

/**
 * One word of an Exec*= line as systemd reads it back: double-quoted with C escapes when needed,
 * `%` (specifiers) and `$` (variable expansion) doubled, a lone `;` (the command separator) escaped.
 * @example systemdWord('daemon off;'); // '"daemon off;"'
 */
export function systemdWord(w: string): string {
  if (w === ';') return '\\;';
  if (PLAIN.test(w)) return w;
  const escaped = w
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/%/g, '%%')
    .replace(/\$/g, '$$$$');
  return `"${escaped}"`;
}

/** `-v SRC:DST[:ro,noexec,nocopy]` or `--tmpfs DST[:ro,OPTS]`: how the CLI spells a mount back. */
function mountArgs(m: Mount): string[] {
  const flags = [...(m.readonly ? ['ro'] : []), ...(m.options ?? [])];
  if (m.type === 'tmpfs') return ['--tmpfs', flags.length ? `${m.target}:${flags.join(',')}` : m.target];
  return ['-v', `${m.source}:${m.target}${flags.length ? `:${flags.join(',')}` : ''}`];
}

/**
 * The `run -d` argv (after the CLI itself) that makes this container again: the image by name
 * (its current build), the options the record keeps as given. A multi-word entrypoint is the
 * CLI's one-word `--entrypoint` with the rest before the command (resolveCommand joins them alike).
 * @example runArgvOf(rec); // ['run', '-d', '--memory', '268435456', 'web', 'web1', '--', 'nginx']
 */
export function runArgvOf(rec: ContainerRecord): string[] {
  const req = rec.request ?? {};
  const out = ['run', '-d'];
  if (rec.autoRemove) out.push('--rm');
  if (rec.restart) out.push('--restart', restartText(rec.restart));
  if (rec.hostname !== rec.name) out.push('--hostname', rec.hostname);
  for (const e of req.env ?? []) out.push('-e', e);
  if (req.workdir !== undefined) out.push('-w', req.workdir);
  if (req.user !== undefined) out.push('-u', req.user);
  if (req.stopSignal !== undefined) out.push('--stop-signal', req.stopSignal);
  const h = req.health ?? {};
  if (h.cmd !== undefined) out.push('--health-cmd', h.cmd);
  if (h.intervalMs !== undefined) out.push('--health-interval', `${h.intervalMs}ms`);
  if (h.timeoutMs !== undefined) out.push('--health-timeout', `${h.timeoutMs}ms`);
  if (h.startPeriodMs !== undefined) out.push('--health-start-period', `${h.startPeriodMs}ms`);
  if (h.retries !== undefined) out.push('--health-retries', String(h.retries));
  if (h.disable) out.push('--no-healthcheck');
  const [entry, ...entryRest] = req.entrypoint ?? [];
  if (req.entrypoint !== undefined) out.push('--entrypoint', entry ?? '');
  const net = rec.network;
  if (net) {
    out.push('--network', 'bridge');
    if (net.internet) out.push('--internet');
    for (const p of net.ports) out.push('--expose', `${p.container}-${p.host}`);
    for (const p of net.allowHost ?? []) out.push('--allow-host', String(p));
  }
  if (rec.limits.memory !== undefined) out.push('--memory', String(rec.limits.memory));
  if (rec.limits.cpus !== undefined) out.push('--cpus', String(rec.limits.cpus));
  if (rec.limits.pids !== undefined) out.push('--pids-limit', String(rec.limits.pids));
  const sec = rec.security;
  if (sec.privileged) out.push('--privileged');
  for (const c of sec.capAdd) out.push('--cap-add', c);
  for (const c of sec.capDrop) out.push('--cap-drop', c);
  if (sec.seccomp !== undefined && sec.seccomp !== 'default' && !sec.privileged)
    out.push('--security-opt', `seccomp=${sec.seccomp === 'unconfined' ? 'unconfined' : sec.seccomp.profile}`);
  for (const m of rec.mounts ?? []) out.push(...mountArgs(m));
  if (rec.readOnly) out.push('--read-only');
  // Options before the names: after them, the CLI reads everything as the command unless `--` came.
  out.push(rec.image, rec.name);
  const command = [...entryRest, ...(req.command ?? [])];
  if (command.length > 0) out.push('--', ...command);
  return out;
}

/**
 * podman's file name for a container's unit.
 * @example unitFileName('web1'); // 'container-web1.service'
 */
export function unitFileName(name: string): string {
  return `container-${name}.service`;
}

/**
 * The unit. `run -d` returns once the container runs and leaves its monitor behind, the parent of
 * the container's init that exits with the container's exit code: Type=forking, and systemd's
 * main-PID guess finds the monitor (the one process left in the unit's cgroup). Stopping runs
 * `conductor stop`, which removes the container; a record left by a crash or power loss (stop
 * never ran) is removed before each start, as podman's `--replace` does.
 *
 * @example
 * planSystemdUnit(rec, { conductor: ['/usr/bin/node', '/opt/conductor/dist/conductor.cjs'],
 *   root: '/var/lib/conductor', cache: '/var/lib/conductor/.cache' });
 * // '# container-web1.service\n...\n[Service]\n...ExecStart=/usr/bin/node ... run -d web web1 ...'
 */
export function planSystemdUnit(rec: ContainerRecord, opts: SystemdUnitOptions): string {
  const t = opts.stopTimeoutSeconds ?? 10;
  const cli = (args: string[]) => [...opts.conductor, ...args].map(systemdWord).join(' ');
  const remove = cli(['stop', '--ignore', '-t', '0', rec.name]);
  const peers = rec.network?.peers ?? [];
  return [
    `# ${unitFileName(rec.name)}`,
    `# made by \`conductor generate systemd ${rec.name}\` from its record of ${rec.createdAt}`,
    ...(peers.length ? [`# not replayed: its peer links (${peers.join(', ')}); run \`conductor peer\` again`] : []),
    '',
    '[Unit]',
    `Description=conductor container ${rec.name}`,
    'Wants=network-online.target',
    'After=network-online.target',
    `RequiresMountsFor=${systemdWord(opts.root)} ${systemdWord(opts.cache)}`,
    '',
    '[Service]',
    `Environment=${systemdWord(`CONDUCTOR_ROOT=${opts.root}`)}`,
    `Environment=${systemdWord(`CONDUCTOR_CACHE=${opts.cache}`)}`,
    'Type=forking',
    // stop's grace period, then time for the removal itself (podman: -t 10, TimeoutStopSec=70).
    `TimeoutStopSec=${t + 60}`,
    `ExecStartPre=-${remove}`,
    `ExecStart=${cli(runArgvOf(rec))}`,
    `ExecStop=${cli(['stop', '--ignore', '-t', String(t), rec.name])}`,
    `ExecStopPost=-${remove}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
