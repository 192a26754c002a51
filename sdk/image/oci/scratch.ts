/**
 * The empty base under imported and pulled images: their own layers hold the whole filesystem,
 * but the overlay stack (and every record) expects a base at the bottom, so it is an empty
 * directory with the completion marker, made once per cache.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../../config.ts';
import type { BaseRef } from '../../types.ts';
import { baseDir, baseRootfs } from '../base.ts';
import { SCRATCH_BASE } from '../base-plan.ts';

export const SCRATCH: BaseRef = SCRATCH_BASE;

export function isScratch(b: BaseRef): boolean {
  return b.distro === 'scratch';
}

/** Make the empty base if it is missing; idempotent, and safe to race (mkdir/write are). */
export function ensureScratch(paths: Paths): string {
  const dir = baseDir(paths, SCRATCH);
  if (existsSync(path.join(dir, 'complete'))) return baseRootfs(paths, SCRATCH);
  mkdirSync(path.join(dir, 'rootfs'), { recursive: true, mode: 0o755 });
  writeFileSync(path.join(dir, 'complete'), '1970-01-01T00:00:00.000Z\n');
  return baseRootfs(paths, SCRATCH);
}
