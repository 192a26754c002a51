/**
 * Named volumes on disk: .volumes/NAME/{volume.json,_data}. The directory is made aside and
 * renamed into place, so a reader never sees a volume without its record. Callers hold the `names`
 * lock (the one `run` creates container records under): "is it used?" and "create or remove it"
 * are then one step for every process.
 */
import { randomHex } from '../host/random.ts';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { readJson, removeDeadOwners, writeJson } from './files.ts';
import { listRecords } from './containers.ts';
import type { VolumeInfo } from '../types.ts';

interface VolumeRecord {
  name: string;
  createdAt: string;
}

export function volumeDir(paths: Paths, name: string): string {
  return path.join(paths.volumes, name);
}

/** The directory mounted into containers. */
export function volumeData(paths: Paths, name: string): string {
  return path.join(volumeDir(paths, name), '_data');
}

export function volumeExists(paths: Paths, name: string): boolean {
  return existsSync(path.join(volumeDir(paths, name), 'volume.json'));
}

/** Create the volume if missing; true if this call made it. Hold the `names` lock. */
export function ensureVolume(paths: Paths, name: string): boolean {
  if (volumeExists(paths, name)) return false;
  // 0700: the data belongs to containers (set-id files, any owner); no host user may reach it.
  mkdirSync(paths.volumes, { recursive: true, mode: 0o700 });
  removeDeadOwners(paths.volumes, /^\.(?:new|rm)-(\d+)-[0-9a-f]+$/);
  const aside = path.join(paths.volumes, `.new-${process.pid}-${randomHex(4)}`);
  mkdirSync(aside, { mode: 0o700 });
  try {
    mkdirSync(path.join(aside, '_data'), { mode: 0o755 });
    const rec: VolumeRecord = { name, createdAt: new Date().toISOString() };
    writeJson(path.join(aside, 'volume.json'), rec, { mkdir: false });
    rmSync(volumeDir(paths, name), { recursive: true, force: true }); // a half-made one without its record
    renameSync(aside, volumeDir(paths, name));
  } catch (e) {
    rmSync(aside, { recursive: true, force: true });
    throw e;
  }
  return true;
}

/** Container names whose records mount each volume. */
export function volumeUsers(paths: Paths): Map<string, string[]> {
  const users = new Map<string, string[]>();
  for (const rec of listRecords(paths)) {
    for (const m of rec.mounts ?? []) {
      if (m.type !== 'volume' || !m.source) continue;
      users.set(m.source, [...(users.get(m.source) ?? []), rec.name]);
    }
  }
  return users;
}

export function listVolumes(paths: Paths): VolumeInfo[] {
  let names: string[] = [];
  try {
    names = readdirSync(paths.volumes).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
  const users = volumeUsers(paths);
  return names
    .sort()
    .map((n) => ({ n, rec: readJson<VolumeRecord>(path.join(volumeDir(paths, n), 'volume.json')) }))
    .filter((v): v is { n: string; rec: VolumeRecord } => v.rec !== null)
    .map(({ n, rec }) => ({
      name: n,
      mountpoint: volumeData(paths, n),
      createdAt: rec.createdAt,
      usedBy: users.get(n) ?? [],
    }));
}

export function requireVolume(paths: Paths, name: string): VolumeInfo {
  const v = listVolumes(paths).find((x) => x.name === name);
  if (!v)
    throw new ConductorError('VOLUME_NOT_FOUND', `volume "${name}" does not exist`, {
      hint: 'see `conductor volume ls`',
    });
  return v;
}

/**
 * Remove a volume's directory. --one-file-system semantics matter here: a volume is mounted only
 * inside containers' own mount namespaces, never on the host, so a plain recursive delete stays in it.
 */
export function deleteVolume(paths: Paths, name: string): void {
  const dir = volumeDir(paths, name);
  // Rename first: a crash half-way leaves a `.rm-` directory, never a volume with half its data.
  const gone = path.join(paths.volumes, `.rm-${process.pid}-${randomHex(4)}`);
  renameSync(dir, gone);
  rmSync(gone, { recursive: true, force: true });
}
