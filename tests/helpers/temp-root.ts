/**
 * Test fixtures for root integration tests: a throwaway state root per test file, unique names,
 * and host snapshots to prove a test left no mounts, links or processes behind.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../sdk/config.ts';
import { silentLogger } from '../../sdk/log.ts';
import { statePaths } from './state-paths.ts';

/**
 * Point CONDUCTOR_CACHE at the shared cache (the runner sets it; a file run on its own gets the
 * package's `.cache`), so a temp root never debootstraps its own base.
 */
export function useSharedCache(): string {
  process.env.CONDUCTOR_CACHE ??= path.join(PACKAGE_ROOT, '.cache');
  return process.env.CONDUCTOR_CACHE;
}

export interface TempRoot {
  root: string;
  /** Stop the containers recorded in the root, undo any mount left under it, delete it. */
  cleanup(): Promise<void>;
}

export function makeTempRoot(): TempRoot {
  useSharedCache();
  const root = mkdtempSync('/tmp/conductor-test-');
  return { root, cleanup: () => cleanupRoot(root) };
}

type StopFn = (name: string, opts: Record<string, unknown>) => Promise<unknown>;

/** sdk/container.ts's `stop`, if that module exists (it is optional for build-only tests). */
async function loadStop(): Promise<StopFn | null> {
  const file = path.join(PACKAGE_ROOT, 'sdk', 'container', 'container.ts');
  if (!existsSync(file)) return null;
  const spec: string = new URL('../../sdk/container/container.ts', import.meta.url).href;
  try {
    const mod = (await import(spec)) as { stop?: StopFn };
    return typeof mod.stop === 'function' ? mod.stop : null;
  } catch (e) {
    process.stderr.write(`temp-root: cannot load sdk/container.ts: ${String(e)}\n`);
    return null;
  }
}

async function cleanupRoot(root: string): Promise<void> {
  const containersDir = statePaths(root).containers;
  const names = existsSync(containersDir) ? readdirSync(containersDir).filter((n) => !n.startsWith('.')) : [];
  if (names.length > 0) {
    const stop = await loadStop();
    for (const name of names) {
      try {
        await stop?.(name, { root, log: silentLogger(), timeoutSeconds: 2, ignoreMissing: true });
      } catch {
        /* best effort: already stopped, half-created, or stop not implemented */
      }
    }
  }
  // Safety net, not a pass: tests assert "no mounts under root" themselves before cleanup.
  const left = mountsUnder(root);
  for (const m of left.reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  if (left.length > 0)
    process.stderr.write(`temp-root: had to unmount ${left.length} leftover mount(s) under ${root}\n`);
  if (mountsUnder(root).length > 0) {
    process.stderr.write(`temp-root: mounts remain under ${root}; not deleting it\n`);
    return;
  }
  // --one-file-system: never recurse into something mounted after our check.
  spawnSync('rm', ['-rf', '--one-file-system', '--', root], { stdio: 'inherit' });
}

/** `t-<prefix>-<6 base36 chars>`: unique per call, valid as an image, container or network name. */
export function uniqueName(prefix: string): string {
  const r = BigInt('0x' + randomBytes(5).toString('hex'))
    .toString(36)
    .padStart(6, '0')
    .slice(-6);
  return `t-${prefix}-${r}`;
}

/** Mount points (field 5 of /proc/self/mountinfo) at or under `dir`, in mount order. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  return mountPoints().filter((m) => m === dir || m.startsWith(prefix));
}

/** Every line of /proc/self/mountinfo whose text mentions `text` (mount point, source or options). */
export function mountLinesMentioning(text: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(text));
}

function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => unescapeMount(l.split(' ')[4]!));
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export interface HostSnapshot {
  mounts: string[];
  links: string[];
  processes: Set<number>;
}

/** What a test could leak on the host: mounts, network links, processes. */
export function snapshotHost(): HostSnapshot {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean);
  let links: string[] = [];
  const ip = spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
  if (ip.status === 0) {
    links = (JSON.parse(ip.stdout || '[]') as Array<{ ifname: string }>).map((l) => l.ifname).sort();
  }
  const processes = new Set(
    readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number),
  );
  return { mounts, links, processes };
}

export interface HostDiff {
  newMounts: string[];
  newLinks: string[];
  /** PIDs that exist now and did not before, with their command lines (zombies and our own children included). */
  newProcesses: Array<{ pid: number; cmdline: string }>;
}

/** What appeared on the host since `before`. */
export function diffHost(before: HostSnapshot, after: HostSnapshot = snapshotHost()): HostDiff {
  const mounts = new Set(before.mounts);
  const links = new Set(before.links);
  return {
    newMounts: after.mounts.filter((m) => !mounts.has(m)),
    newLinks: after.links.filter((l) => !links.has(l)),
    newProcesses: [...after.processes]
      .filter((p) => !before.processes.has(p) && p !== process.pid)
      .map((pid) => ({ pid, cmdline: cmdlineOf(pid) }))
      .filter((p) => p.cmdline !== ''),
  };
}

/** argv of a process joined by spaces, '' when gone (or a kernel thread). */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** PIDs whose command line matches. */
export function findProcesses(match: (cmdline: string) => boolean): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => pid !== process.pid && match(cmdlineOf(pid)));
}

/** Poll until `fn` returns a truthy value or the deadline passes; returns the last value. */
export async function waitFor<T>(fn: () => T, timeoutMs: number, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v || Date.now() >= deadline) return v;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
