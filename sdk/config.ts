import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ConductorError } from './errors.ts';

/** Where conductor keeps state. Every path the tool writes comes from here (`locks` and `tmp` are internal). */
export interface Paths {
  root: string;
  cache: string;
  base: string;
  layers: string;
  images: string;
  containers: string;
  /** Named volumes: NAME/_data (never touched by stop, rmi or rmcache). */
  volumes: string;
  /** RUN --mount=type=cache directories (and apt's, see cache-mounts.ts): shared by builds, cleared by rmcache. */
  buildCache: string;
  locks: string;
  tmp: string;
}

/** The package root: sdk/ lives directly under it (also when bundled into dist/). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Paths end up inside overlayfs mount options, where ',' and ':' are separators.
const UNSAFE_PATH = /[,:\s\\]/;

/**
 * The state root when neither `root` nor `$CONDUCTOR_ROOT` names one. In a checkout of this repo:
 * the checkout itself (as always). Installed as a dependency or globally (the package lives under a
 * `node_modules` directory): `/var/lib/conductor` for root, podman's `/var/lib/containers` habit;
 * anyone else gets `$XDG_DATA_HOME/conductor` (default `~/.local/share/conductor`), for the verbs that
 * only read.
 * @example defaultStateRoot('/app/node_modules/conductor', {}, 0); // '/var/lib/conductor'
 */
export function defaultStateRoot(packageRoot: string, env: NodeJS.ProcessEnv, uid: number): string {
  if (!packageRoot.split(path.sep).includes('node_modules')) return packageRoot;
  if (uid === 0) return '/var/lib/conductor';
  return path.join(env.XDG_DATA_HOME || path.join(env.HOME || '/', '.local', 'share'), 'conductor');
}

/**
 * Where conductor keeps its state: the root (`root`, else $CONDUCTOR_ROOT, else the package
 * directory) holds layers, images, containers, locks and scratch space; the cache of debootstrap
 * bases is $CONDUCTOR_CACHE, else `<root>/.cache`. Refuses paths with a space, comma, colon or
 * backslash: they would break the overlayfs mount options built from them (INVALID_ARGUMENT).
 *
 * @example
 * resolvePaths('/var/lib/conductor', {}).containers; // '/var/lib/conductor/.containers'
 */
export function resolvePaths(root?: string, env: NodeJS.ProcessEnv = process.env): Paths {
  const r = path.resolve(root ?? env.CONDUCTOR_ROOT ?? defaultStateRoot(PACKAGE_ROOT, env, process.getuid?.() ?? -1));
  const cache = path.resolve(env.CONDUCTOR_CACHE ?? path.join(r, '.cache'));
  for (const p of [r, cache]) {
    if (UNSAFE_PATH.test(p)) {
      throw new ConductorError('INVALID_ARGUMENT', `state path "${p}" contains a space, comma, colon or backslash`, {
        hint: 'set CONDUCTOR_ROOT / CONDUCTOR_CACHE to a plain path',
      });
    }
  }
  return {
    root: r,
    cache,
    base: path.join(cache, 'base'),
    layers: path.join(r, '.layers'),
    images: path.join(r, '.images'),
    containers: path.join(r, '.containers'),
    volumes: path.join(r, '.volumes'),
    buildCache: path.join(r, '.build-cache'),
    locks: path.join(r, '.locks'),
    tmp: path.join(r, '.tmp'),
  };
}

/**
 * The state paths as the public SDK shows them: conductor's lock files and scratch space stay internal.
 * @example const { containers, volumes }: PublicPaths = resolvePublicPaths('/var/lib/conductor');
 */
export type PublicPaths = Omit<Paths, 'locks' | 'tmp'>;

/**
 * The public view of resolvePaths: where conductor keeps state for a root (see resolvePaths for
 * the rules), without the internal `locks` and `tmp`. Exported from sdk/index.ts as `resolvePaths`.
 *
 * @example
 * const { containers, images } = resolvePublicPaths('/var/lib/conductor');
 */
export function resolvePublicPaths(root?: string, env: NodeJS.ProcessEnv = process.env): PublicPaths {
  const { locks: _locks, tmp: _tmp, ...pub } = resolvePaths(root, env);
  return pub;
}

/** Options every SDK verb accepts: an explicit state root and a logger, no global mutation. */
export interface CommonOptions {
  root?: string;
  log?: import('./log.ts').Logger;
}

export const DEFAULT_MIRRORS = {
  debian: 'http://deb.debian.org/debian',
  ubuntu: 'http://archive.ubuntu.com/ubuntu',
} as const;

export function mirrorFor(distro: 'debian' | 'ubuntu', env: NodeJS.ProcessEnv = process.env): string {
  return distro === 'debian'
    ? env.CONDUCTOR_DEBIAN_MIRROR || DEFAULT_MIRRORS.debian
    : env.CONDUCTOR_UBUNTU_MIRROR || DEFAULT_MIRRORS.ubuntu;
}

/** The static init helper built from native/ at install time. */
export const INIT_HELPER = path.join(PACKAGE_ROOT, 'native', 'conductor-init');

/**
 * The CLI bundle: what the monitor's health probe and a generated systemd unit run.
 * @example CLI_BUNDLE; // '<package>/dist/conductor.cjs'
 */
export const CLI_BUNDLE = path.join(PACKAGE_ROOT, 'dist', 'conductor.cjs');

/** The parent of every container's PID 1 (exit status, log), built beside it. */
export const MONITOR = path.join(PACKAGE_ROOT, 'native', 'conductor-monitor');

/** flock(2) in-process for sdk/state/lock.ts (native/flock-addon.c); absent where node's headers were not. */
export const FLOCK_ADDON = path.join(PACKAGE_ROOT, 'native', 'conductor-flock.node');

/** Attaches the cgroup v2 device filter (native/devices.c), built beside them. */
export const DEVICES_HELPER = path.join(PACKAGE_ROOT, 'native', 'conductor-devices');

/** The host-side relay between a -t container's pty and the caller's terminal. */
export const TTY_RELAY = path.join(PACKAGE_ROOT, 'native', 'conductor-tty');

/** Bytes a detached container's log may reach before further output is dropped. */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;
