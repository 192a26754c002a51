/**
 * A throwaway podman store for a test: its own image and container storage (--root, --runroot), its
 * own libpod state (--tmpdir) and a containers.conf (runc: crun refuses this host's hybrid cgroups;
 * ulimits within this host's hard limits, podman's default nofile is above them). So a test's
 * `podman load`, `kube play` and `rmi` never meet the user's own podman images, pods or containers
 * (a user's localhost/counter-service:latest is not retagged or removed), and `cleanup` leaves
 * nothing behind: no pod, container, image, mount or process of the store, and no directory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface PodmanResult {
  code: number;
  out: string;
  err: string;
  ms: number;
}

export interface PodmanStore {
  /** The store's directory: storage, run state, libpod state, containers.conf, scratch files. */
  dir: string;
  /** `podman <store flags> ...args`, bounded by timeoutMs. */
  podman(args: string[], timeoutMs?: number): PodmanResult;
  /** Like podman() but throws with stderr unless it exits 0; returns stdout. */
  must(args: string[], timeoutMs?: number): string;
  /** Remove every pod, container and image of the store, unmount what is left under it, delete it. */
  cleanup(): string[];
}

const CONF = [
  '[containers]',
  'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
  '[engine]',
  'runtime = "runc"',
  '',
].join('\n');

export function createPodmanStore(): PodmanStore {
  const dir = mkdtempSync('/tmp/conductor-test-podman-');
  const conf = path.join(dir, 'containers.conf');
  writeFileSync(conf, CONF);
  const flags = [
    '--root',
    path.join(dir, 'storage'),
    '--runroot',
    path.join(dir, 'run'),
    '--tmpdir',
    path.join(dir, 'libpod'),
  ];
  const podman = (args: string[], timeoutMs = 60_000): PodmanResult => {
    const t0 = Date.now();
    const r = spawnSync('podman', [...flags, ...args], {
      encoding: 'utf8',
      timeout: timeoutMs,
      env: { ...process.env, CONTAINERS_CONF: conf },
    });
    return {
      code: r.status ?? 1,
      out: r.stdout ?? '',
      err: (r.stderr ?? '') + (r.error ? String(r.error) : ''),
      ms: Date.now() - t0,
    };
  };
  const must = (args: string[], timeoutMs?: number): string => {
    const r = podman(args, timeoutMs);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}): ${r.err.trim()}`);
    return r.out;
  };
  const cleanup = (): string[] => {
    const problems: string[] = [];
    for (const args of [
      ['pod', 'rm', '--all', '--force'],
      ['rm', '--all', '--force'],
      ['rmi', '--all', '--force'],
    ]) {
      const r = podman(args, 60_000);
      if (r.code !== 0) problems.push(`podman ${args.join(' ')}: ${r.err.trim()}`);
    }
    // Anything podman left mounted under the store, deepest first, before the directory goes.
    for (const m of mountsUnder(dir).reverse()) spawnSync('umount', ['-l', m]);
    rmSync(dir, { recursive: true, force: true });
    return problems;
  };
  return { dir, podman, must, cleanup };
}

/** Mount points at or under `dir` (from /proc/self/mountinfo), in mount order. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** The host's default podman store as `podman` sees it, plus libpod's cgroups: to prove a test left it alone. */
export function defaultPodmanState(): Record<string, string[]> {
  const list = (args: string[]) => {
    const r = spawnSync('podman', args, { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`podman ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean).sort();
  };
  const cgroups = (d: string): string[] => {
    let names: string[] = [];
    try {
      names = readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return [];
    }
    return names.flatMap((n) => [path.join(d, n), ...cgroups(path.join(d, n))]);
  };
  return {
    images: list(['images', '--all', '--noheading', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']),
    containers: list(['ps', '--all', '--noheading', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Image}}']),
    pods: list(['pod', 'ps', '--noheading', '--no-trunc', '--format', '{{.ID}} {{.Name}}']),
    volumes: list(['volume', 'ls', '--noheading']),
    cgroups: cgroups('/sys/fs/cgroup/memory/libpod_parent').sort(),
  };
}
