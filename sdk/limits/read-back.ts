/** Reading limits and OOM kills back out of cgroup interface files, for `inspect` and `stop`. */
import type { ResourceLimits } from '../types.ts';

const UNLIMITED_V1 = 2 ** 53; // v1 reports "no limit" as ~2^63 rounded to a page

/**
 * Reads limits back from interface files (basename → contents, from any of the container's
 * cgroup directories), for `inspect`. Absent or unlimited values are left out.
 *
 * @example
 * limitsFromFiles({ 'memory.max': '67108864\n', 'cpu.max': '50000 100000\n', 'pids.max': 'max\n' });
 * // { memory: 67108864, cpus: 0.5 }
 */
export function limitsFromFiles(files: Record<string, string>): ResourceLimits {
  const out: ResourceLimits = {};
  const num = (name: string): number | undefined => {
    const v = files[name]?.trim();
    return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
  };
  const memory = num('memory.max') ?? num('memory.limit_in_bytes');
  if (memory !== undefined && memory < UNLIMITED_V1) out.memory = memory;
  const cpuMax = files['cpu.max']?.trim().split(/\s+/);
  const [quota, period] = cpuMax ? cpuMax.map(Number) : [num('cpu.cfs_quota_us'), num('cpu.cfs_period_us')];
  if (quota !== undefined && period !== undefined && quota > 0 && period > 0) out.cpus = quota / period;
  const pids = num('pids.max');
  if (pids !== undefined) out.pids = pids;
  return out;
}

/**
 * The `oom_kill` count of a v2 memory.events or v1 memory.oom_control file (0 when absent:
 * v1 kernels before 4.13 do not report it).
 *
 * @example
 * parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 1\n'); // 1
 */
export function parseOomKills(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}
