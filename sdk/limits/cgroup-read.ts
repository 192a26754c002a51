/** Reading a live container's cgroups: OOM kills and the limits in force, as the kernel reports them. */
import type { ResourceLimits } from '../types.ts';
import { limitsFromFiles, parseOomKills } from './read-back.ts';
import { readOrNull } from './cgroup-io.ts';

/**
 * Whether the kernel's OOM killer killed a process in the cgroups (v2 memory.events, v1
 * memory.oom_control). Ask before removeCgroups.
 *
 * @example
 * if (oomKilled(record.cgroups)) log.warn('killed: out of memory');
 */
export function oomKilled(dirs: string[]): boolean {
  return dirs.some((dir) => {
    const text = readOrNull(`${dir}/memory.events`) ?? readOrNull(`${dir}/memory.oom_control`);
    return text !== null && parseOomKills(text) > 0;
  });
}

const LIMIT_FILES = [
  'memory.max',
  'memory.limit_in_bytes',
  'cpu.max',
  'cpu.cfs_quota_us',
  'cpu.cfs_period_us',
  'pids.max',
];

/**
 * The limits in force on the cgroups, as the kernel reports them (rounded to pages), for `inspect`.
 *
 * @example
 * readLimits(record.cgroups); // { memory: 268435456, cpus: 0.5 }
 */
export function readLimits(dirs: string[]): ResourceLimits {
  const files: Record<string, string> = {};
  for (const dir of dirs) {
    for (const name of LIMIT_FILES) {
      const text = readOrNull(`${dir}/${name}`);
      if (text !== null) files[name] = text;
    }
  }
  return limitsFromFiles(files);
}
