/** The tools the bench runs (installed from Debian when missing) and their versions for the report. */
import { run } from './proc.ts';

async function which(cmd: string): Promise<boolean> {
  return (await run(['sh', '-c', `command -v ${cmd}`])).code === 0;
}

/** Tools the harness needs → the Debian package that has them. */
const TOOLS: Record<string, string> = {
  podman: 'podman',
  runc: 'runc',
  crun: 'crun',
  wrk: 'wrk',
  hyperfine: 'hyperfine',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  strace: 'strace',
  ip: 'iproute2',
  curl: 'curl',
};

export async function ensureTools(log: (s: string) => void): Promise<void> {
  const missing = new Set<string>();
  for (const [cmd, pkg] of Object.entries(TOOLS)) if (!(await which(cmd))) missing.add(pkg);
  if (missing.size === 0) return;
  const pkgs = [...missing];
  log(`installing from Debian: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = await run(['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs], { env, timeoutMs: 300_000 });
  if (r.code !== 0) {
    await run(['apt-get', 'update'], { env, timeoutMs: 180_000 });
    r = await run(['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs], { env, timeoutMs: 300_000 });
  }
  if (r.code !== 0)
    throw new Error(`apt-get install ${pkgs.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
}

export async function version(argv: string[], pick = (s: string) => s.split('\n')[0]!.trim()): Promise<string> {
  const r = await run(argv, { timeoutMs: 10_000 });
  // wrk -v prints its version and exits 1.
  return r.code === 127 || !(r.stdout || r.stderr).trim() ? `${argv[0]} not installed` : pick(r.stdout || r.stderr);
}
