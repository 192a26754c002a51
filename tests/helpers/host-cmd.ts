/** Host commands for tests: argv in, status and output out, no shell. */
import { spawnSync } from 'node:child_process';

export interface HostResult {
  code: number;
  out: string;
  err: string;
}

export function hostRun(argv: string[], input?: string): HostResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8' });
  return { code: r.status ?? 1, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** stdout of a command that must succeed; throws with its stderr otherwise. */
export function hostMust(argv: string[], input?: string): string {
  const r = hostRun(argv, input);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.err}`);
  return r.out;
}
