/**
 * Base root filesystems from debootstrap, made once per cache and shared by every state root.
 * Built in a temp dir inside throwaway namespaces, renamed into place with a completion marker only
 * on success: a base without its marker is never used.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { debootstrapArgs } from './base-plan.ts';
import { ConductorError } from '../errors.ts';
import { withLock } from '../state/lock.ts';
import type { Logger } from '../log.ts';
import { sh } from '../host/sh.ts';
import type { BaseRef } from '../types.ts';

export function baseId(base: BaseRef): string {
  return `${base.distro}-${base.suite}`;
}

export function baseDir(paths: Paths, base: BaseRef): string {
  return path.join(paths.base, baseId(base));
}

/** The rootfs used as the bottom overlay layer. */
export function baseRootfs(paths: Paths, base: BaseRef): string {
  return path.join(baseDir(paths, base), 'rootfs');
}

export function isBaseComplete(paths: Paths, base: BaseRef): boolean {
  return existsSync(path.join(baseDir(paths, base), 'complete'));
}

/**
 * Wrap a command so it dies with us (pdeathsig) and runs in its own mount and PID namespaces:
 * if conductor is killed, every process of the step is killed and every mount it made vanishes.
 */
export function contained(argv: string[], pid = true): string[] {
  const ns = ['--mount', '--propagation', 'private', '--fork', '--kill-child'];
  if (pid) ns.push('--pid', '--mount-proc');
  return ['setpriv', '--pdeathsig', 'KILL', 'unshare', ...ns, '--', ...argv];
}

/** Make sure the base exists, debootstrapping it (once, under a lock) if needed. */
export async function ensureBase(paths: Paths, base: BaseRef, log: Logger): Promise<string> {
  if (isBaseComplete(paths, base)) return baseRootfs(paths, base);
  mkdirSync(paths.base, { recursive: true, mode: 0o700 });
  return withLock(path.join(paths.cache, '.locks'), `base-${baseId(base)}`, async () => {
    if (isBaseComplete(paths, base)) return baseRootfs(paths, base);
    removeStaleTemps(paths, base);
    if (!existsSync('/usr/sbin/debootstrap')) {
      throw new ConductorError('MISSING_TOOL', '"debootstrap" is not installed', {
        hint: 'apt-get install debootstrap',
      });
    }
    if (base.distro === 'ubuntu' && !existsSync('/usr/share/keyrings/ubuntu-archive-keyring.gpg')) {
      throw new ConductorError('MISSING_TOOL', `the Ubuntu archive keyring is missing for "ubuntu:${base.suite}"`, {
        hint: 'apt-get install ubuntu-keyring',
      });
    }
    const tmp = path.join(paths.base, `.tmp-${baseId(base)}-${process.pid}`);
    const rootfs = path.join(tmp, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    log.step(`Fetching base ${base.distro}:${base.suite} with debootstrap (once per cache; a few minutes)`);
    const progress = startProgress(log);
    try {
      await sh(contained(debootstrapArgs(base, rootfs, process.env, existsSync)), {
        onOutput: (c) => log.debug(c.toString().trimEnd()),
      });
      // Package caches are dead weight in every layer above.
      rmSync(path.join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
      mkdirSync(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
      writeFileSync(path.join(tmp, 'complete'), new Date().toISOString() + '\n');
      rmSync(baseDir(paths, base), { recursive: true, force: true });
      renameSync(tmp, baseDir(paths, base));
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      const msg = e instanceof Error ? e.message : String(e);
      throw new ConductorError('BUILD_FAILED', `debootstrap of "${base.distro}:${base.suite}" failed: ${msg}`, {
        cause: e,
      });
    } finally {
      progress();
    }
    return baseRootfs(paths, base);
  });
}

/** Leftovers of an interrupted debootstrap of this base: under its lock, none can be live. */
function removeStaleTemps(paths: Paths, base: BaseRef): void {
  const prefix = `.tmp-${baseId(base)}-`;
  for (const n of readdirSync(paths.base)) {
    if (n.startsWith(prefix)) rmSync(path.join(paths.base, n), { recursive: true, force: true });
  }
}

function startProgress(log: Logger): () => void {
  if (log.quiet || !process.stderr.isTTY) return () => {};
  const frames = ['|', '/', '-', '\\'];
  const t0 = Date.now();
  let i = 0;
  const timer = setInterval(() => {
    process.stderr.write(`\r${frames[i++ % 4]} debootstrap running ${Math.round((Date.now() - t0) / 1000)} s`);
  }, 250);
  return () => {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  };
}
