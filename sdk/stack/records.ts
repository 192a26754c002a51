import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { readJson, writeJson } from '../state/files.ts';
import type { ImageInfo } from '../types.ts';
import type { Service } from './types.ts';

/** What `up` left running for a stack: per service, the definition's hash and its containers. */
export interface StackRecord {
  version: 1;
  name: string;
  services: Record<string, { hash: string; containers: string[] }>;
}

const fileOf = (paths: Paths, stack: string) => path.join(paths.root, '.stacks', `${stack}.json`);

export function loadStackRecord(paths: Paths, stack: string): StackRecord | null {
  const rec = readJson<StackRecord>(fileOf(paths, stack));
  if (rec && rec.version !== 1) {
    throw new ConductorError(
      'UNSUPPORTED_RECORD',
      `stack record ${fileOf(paths, stack)} has version ${String(rec.version)}`,
      {
        hint: 'it was written by another conductor version; remove it after `down` with that version',
      },
    );
  }
  return rec;
}

export function saveStackRecord(paths: Paths, rec: StackRecord): void {
  writeJson(fileOf(paths, rec.name), rec);
}

export function removeStackRecord(paths: Paths, stack: string): void {
  rmSync(fileOf(paths, stack), { force: true });
}

/** Changes when the service's definition or its image does: `up` replaces exactly those services. */
export function serviceHash(svc: Service, image: ImageInfo): string {
  const img = { layers: image.layers, createdAt: image.createdAt, config: image.config ?? null };
  return createHash('sha256').update(JSON.stringify({ svc, img })).digest('hex').slice(0, 16);
}
