/** Plain-text tables and durations for the CLI's stdout. */
import type { ContainerInfo } from '../../sdk/index.ts';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} seconds ago`;
  if (s < 3600) return `${Math.round(s / 60)} minutes ago`;
  if (s < 86400) return `${Math.round(s / 3600)} hours ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)}${units[i]}`;
}

/**
 * Docker's units.HumanDuration: `Less than a second`, `5 seconds`, `About a minute`, `3 hours`, ...
 * @example humanDuration(5_000); // '5 seconds'
 */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(ms / 3_600_000);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/**
 * ps's STATUS: `Up 5 seconds (healthy)`, `Up 2 minutes (health: starting)` as Docker shows a running
 * container, `exited (3)`, `created`.
 * @example statusCell({ status: 'running', exitCode: null, startedAt: new Date().toISOString(), health: 'healthy' });
 * // 'Up Less than a second (healthy)'
 */
export function statusCell(
  c: Pick<ContainerInfo, 'status' | 'exitCode' | 'startedAt' | 'health'>,
  now = Date.now(),
): string {
  if (c.status === 'exited') return `exited (${c.exitCode ?? '?'})`;
  if (c.status !== 'running') return c.status;
  const up = c.startedAt ? `Up ${humanDuration(now - Date.parse(c.startedAt))}` : 'running';
  if (!c.health) return up;
  return `${up} (${c.health === 'starting' ? 'health: starting' : c.health})`;
}
