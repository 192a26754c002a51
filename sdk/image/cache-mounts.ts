/**
 * RUN's cache mounts, pure: BuildKit's `RUN --mount=type=cache,target=DIR[,id=ID][,sharing=...]`
 * parsed into a record, its canonical text (part of the step's text, hence of its cache key), and
 * conductor's one implicit cache: apt's `/var/cache/apt` for RUN steps that call apt on a debootstrap
 * base. That base keeps apt's default (downloaded .debs stay in /var/cache/apt/archives, Debian's
 * docker images turn that off with docker-clean), so without the mount every install layer carries
 * its .debs (126 MB for the demo's toolchain) and a changed install line downloads them all again.
 * A directory bind-mounted over the target is never part of the layer.
 */
import path from 'node:path';
import type { BaseRef } from '../types.ts';

/** BuildKit's sharing modes: shared (concurrent writers), private (a fresh one when busy), locked (wait). */
export type CacheSharing = 'shared' | 'private' | 'locked';

export interface CacheMount {
  /** Which cache: by default the target, as in BuildKit. */
  id: string;
  /** Absolute, normalised. */
  target: string;
  sharing: CacheSharing;
  readonly: boolean;
  /** Owner and mode of the directory when it is first made. */
  uid: number;
  gid: number;
  mode: number;
  /** Added by conductor (apt on a debootstrap base), not written in the Conductorfile. */
  implicit?: boolean;
}

/** Where apt keeps downloaded packages (archives/) and its binary caches (*.bin). */
export const APT_CACHE_TARGET = '/var/cache/apt';

const SHARING: readonly string[] = ['shared', 'private', 'locked'];

function number(key: string, value: string, radix: number, fail: (m: string) => Error): number {
  const ok = radix === 8 ? /^0?[0-7]{1,4}$/ : /^[0-9]{1,10}$/;
  if (!ok.test(value))
    throw fail(`RUN --mount ${key}=${JSON.stringify(value)} is not a${radix === 8 ? 'n octal mode' : ' number'}`);
  return parseInt(value, radix);
}

/**
 * One `--mount=` value, variables already expanded; `workdir` resolves a relative target. Only
 * type=cache is supported; anything else fails through `fail` with the reason.
 * @example
 * parseCacheMount('type=cache,target=/root/.cache', '/', (m) => new Error(m));
 * // { id: '/root/.cache', target: '/root/.cache', sharing: 'shared', readonly: false, uid: 0, gid: 0, mode: 0o755 }
 */
export function parseCacheMount(spec: string, workdir: string, fail: (message: string) => Error): CacheMount {
  const fields = new Map<string, string | null>();
  for (const part of spec.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    if (fields.has(key)) throw fail(`RUN --mount: "${key}" given twice`);
    fields.set(key, eq < 0 ? null : part.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'bind';
  if (type !== 'cache') {
    throw fail(`not supported: RUN --mount=type=${type} (conductor supports type=cache)`);
  }
  let target: string | undefined;
  const m: Omit<CacheMount, 'id' | 'target'> = { sharing: 'shared', readonly: false, uid: 0, gid: 0, mode: 0o755 };
  let id: string | undefined;
  for (const [key, value] of fields) {
    const need = (): string => {
      if (value === null || value === '') throw fail(`RUN --mount ${key} needs a value: ${key}=...`);
      return value;
    };
    if (key === 'type') continue;
    else if (key === 'target' || key === 'dst' || key === 'destination') target = need();
    else if (key === 'id') id = need();
    else if (key === 'sharing') {
      const v = need();
      if (!SHARING.includes(v)) throw fail(`RUN --mount sharing=${v}: use shared, private or locked`);
      m.sharing = v as CacheSharing;
    } else if (key === 'readonly' || key === 'ro') m.readonly = value === null || value === 'true';
    else if (key === 'rw') m.readonly = value === 'false';
    else if (key === 'uid' || key === 'gid') m[key] = number(key, need(), 10, fail);
    else if (key === 'mode') m.mode = number(key, need(), 8, fail);
    else if (key === 'from' || key === 'source' || key === 'src') {
      throw fail(`not supported: RUN --mount type=cache with ${key}= (conductor's caches start empty)`);
    } else throw fail(`RUN --mount: unknown option "${key}" for type=cache`);
  }
  if (target === undefined) throw fail('RUN --mount=type=cache needs target=DIR');
  const abs = path.posix
    .normalize(target.startsWith('/') ? target : path.posix.join(workdir, target))
    .replace(/(?<=.)\/+$/, '');
  if (abs === '/') throw fail('RUN --mount target must not be "/"');
  return { id: id ?? abs, target: abs, ...m };
}

/**
 * The canonical `--mount=` text of a cache mount: in the step's text, so a changed mount is a new key.
 * @example mountText(parseCacheMount('type=cache,target=/c', '/', Error)); // 'type=cache,id=/c,target=/c,sharing=shared'
 */
export function mountText(m: CacheMount): string {
  const parts = [`type=cache`, `id=${m.id}`, `target=${m.target}`, `sharing=${m.sharing}`];
  if (m.readonly) parts.push('readonly');
  if (m.uid !== 0) parts.push(`uid=${m.uid}`);
  if (m.gid !== 0) parts.push(`gid=${m.gid}`);
  if (m.mode !== 0o755) parts.push(`mode=0${m.mode.toString(8)}`);
  return parts.join(',');
}

// apt-get, apt or aptitude as a command word (not as part of a path or another name).
const CALLS_APT = /(^|[\s;&|()`'"/])(apt-get|apt|aptitude)(\s|$)/;

const overlaps = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/**
 * The mounts of a RUN step: those written, plus apt's cache when the step calls apt on a
 * debootstrap base (`base`: null when the stage is not on one) and no written mount covers
 * /var/cache/apt. One cache per base (a trixie build never rebuilds bookworm's pkgcache.bin);
 * `locked`, because apt holds /var/cache/apt/archives/lock and fails rather than waits.
 * @example
 * runMounts([], ['/bin/sh', '-c', 'apt-get install -y make'], { distro: 'debian', suite: 'bookworm' })[0].id;
 * // 'apt-debian-bookworm'
 */
export function runMounts(written: CacheMount[], argv: readonly string[], base: BaseRef | null): CacheMount[] {
  if (base === null || base.distro === 'scratch' || !CALLS_APT.test(argv.join(' '))) return written;
  if (written.some((m) => overlaps(m.target, APT_CACHE_TARGET))) return written;
  const apt: CacheMount = {
    id: `apt-${base.distro}-${base.suite}`,
    target: APT_CACHE_TARGET,
    sharing: 'locked',
    readonly: false,
    uid: 0,
    gid: 0,
    mode: 0o755,
    implicit: true,
  };
  return [...written, apt];
}

/**
 * The part of a RUN step's cache key its text does not hold: the implicit mounts ('' without one,
 * so every other step keeps its key). A layer built without apt's cache holds the .debs; with it, not.
 * @example runKeyPart([]); // ''
 */
export function runKeyPart(mounts: readonly CacheMount[]): string {
  return mounts
    .filter((m) => m.implicit)
    .map((m) => `implicit --mount=${mountText(m)}`)
    .join('\n');
}
