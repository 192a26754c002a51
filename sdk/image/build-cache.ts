/**
 * The build cache's directories: one per cache id under `<root>/.build-cache` (`<slug>/data`, bind-mounted
 * over the RUN step's target, so nothing of it lands in the layer; `<slug>/id` names it for humans), each
 * guarded by a flock on `<slug>.lock` for as long as a step has it mounted: shared for sharing=shared,
 * exclusive for locked (a concurrent build waits) and private (a concurrent build gets a throwaway
 * directory). `--no-cache` builds use fresh directories in their work dir instead, removed with it.
 * rmcache removes every cache no build holds.
 */
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { mountArgs } from '../launch/mount-plan.ts';
import type { Logger } from '../log.ts';
import { holdFlock, type HeldFlock } from '../state/lock.ts';
import type { CacheMount } from './cache-mounts.ts';

/** How long a RUN step waits for a locked cache another build has mounted. */
const LOCKED_WAIT_MS = 30 * 60_000;

export interface OpenedCaches {
  /** The init helper's --mount arguments for the step. */
  mountArgs: string[];
  /** Let go of every cache lock the step holds. */
  release(): void;
}

const slugOf = (id: string): string => createHash('sha256').update(id).digest('hex').slice(0, 16);

/** A cache directory, made with the mount's owner and mode the first time (as BuildKit does). */
function ensureDir(dir: string, m: CacheMount): string {
  const data = path.join(dir, 'data');
  if (existsSync(data)) return data;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, 'id'), `${m.id}\n`);
  try {
    mkdirSync(data);
  } catch (e) {
    // A concurrent build (sharing=shared) made it first: it is theirs to set up.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return data;
    throw e;
  }
  chmodSync(data, m.mode);
  if (m.uid !== 0 || m.gid !== 0) chownSync(data, m.uid, m.gid);
  return data;
}

async function lockFor(paths: Paths, m: CacheMount, log: Logger): Promise<HeldFlock | null> {
  const file = path.join(paths.buildCache, `${slugOf(m.id)}.lock`);
  const shared = m.sharing === 'shared';
  const now = await holdFlock(file, { shared, timeoutMs: 0 });
  if (now || m.sharing === 'private') return now;
  log.info(`waiting for the build cache "${m.id}": another build has it mounted (sharing=${m.sharing})`);
  return holdFlock(file, { shared, timeoutMs: LOCKED_WAIT_MS });
}

/**
 * Mount directories for a RUN step's cache mounts, locked as their sharing mode says; `work` is the
 * build's work dir (fresh caches for `noCache`, throwaway ones for a busy private cache).
 * @example
 * const caches = await openCacheMounts(paths, work, false, step.mounts, log);
 * try { await run({ ...spec, mounts: caches.mountArgs }); } finally { caches.release(); }
 */
export async function openCacheMounts(
  paths: Paths,
  work: string,
  noCache: boolean,
  mounts: readonly CacheMount[],
  log: Logger,
): Promise<OpenedCaches> {
  const held: HeldFlock[] = [];
  const dirs = new Map<string, string>();
  const release = () => held.splice(0).forEach((h) => h.release());
  try {
    for (const m of mounts) {
      if (dirs.has(m.id)) continue;
      if (noCache) {
        dirs.set(m.id, ensureDir(path.join(work, 'cache', slugOf(m.id)), m));
        continue;
      }
      const lock = await lockFor(paths, m, log);
      if (lock === null) {
        log.info(`the build cache "${m.id}" is in use (sharing=private): this step gets an empty one`);
        dirs.set(m.id, ensureDir(path.join(work, `cache-private-${slugOf(m.id)}`), m));
        continue;
      }
      held.push(lock);
      dirs.set(m.id, ensureDir(path.join(paths.buildCache, slugOf(m.id)), m));
    }
  } catch (e) {
    release();
    throw e;
  }
  const planned = mounts.map((m) => ({
    mount: { type: 'bind' as const, target: m.target, readonly: m.readonly },
    hostPath: dirs.get(m.id)!,
  }));
  return { mountArgs: mountArgs(planned, false), release };
}

/**
 * Remove every build cache no running build has mounted; the others are kept, with the reason.
 * @example const { removed, kept } = await removeBuildCaches(paths);
 */
export async function removeBuildCaches(paths: Paths): Promise<{ removed: string[]; kept: string[] }> {
  let names: string[] = [];
  try {
    names = readdirSync(paths.buildCache).filter((n) => !n.endsWith('.lock'));
  } catch {
    return { removed: [], kept: [] };
  }
  const removed: string[] = [];
  const kept: string[] = [];
  for (const slug of names) {
    const dir = path.join(paths.buildCache, slug);
    let id = slug;
    try {
      id = readFileSync(path.join(dir, 'id'), 'utf8').trim();
    } catch {
      /* a half-made cache: named by its slug */
    }
    const lock = await holdFlock(path.join(paths.buildCache, `${slug}.lock`), { timeoutMs: 0 });
    if (lock === null) {
      kept.push(`build cache "${id}": mounted by a running build`);
      continue;
    }
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(id);
    } finally {
      lock.release({ unlink: true });
    }
  }
  return { removed, kept };
}
