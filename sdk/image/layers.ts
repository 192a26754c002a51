/**
 * Layers: one overlayfs upper directory per Conductorfile instruction, cached under a key derived
 * from the parent layer and the instruction (plus, for COPY, a hash of the copied files).
 *
 * A layer's directory is named by its id, unique to that one commit, and never changes while it
 * exists: images and containers name ids, so a running container's lowerdirs stay valid whatever
 * is rebuilt. The cache maps a key to the newest id (`.layers/.keys/<key>`, a symlink replaced
 * atomically), so `build --no-cache` can commit a fresh layer for a key that already has one.
 * Layers made before ids existed have id = key and no index entry; they are still found.
 */
import { createHash } from 'node:crypto';
import { randomHex } from '../host/random.ts';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { readJson, removeDeadOwners, writeJson } from '../state/files.ts';

export interface LayerInfo {
  /** The directory name under .layers (= key for layers made before ids existed). */
  id?: string;
  key: string;
  parent: string;
  instruction: string;
  createdAt: string;
  size: number;
}

export function layerDir(paths: Paths, id: string): string {
  return path.join(paths.layers, id);
}

export function layerDiff(paths: Paths, id: string): string {
  return path.join(layerDir(paths, id), 'diff');
}

export function readLayer(paths: Paths, id: string): LayerInfo | null {
  return readJson<LayerInfo>(path.join(layerDir(paths, id), 'layer.json'));
}

function keyIndex(paths: Paths): string {
  return path.join(paths.layers, '.keys');
}

/** The id of the newest complete layer cached under `key`, or null (a cache miss). */
export function resolveLayer(paths: Paths, key: string): string | null {
  let id: string | null = null;
  try {
    id = readlinkSync(path.join(keyIndex(paths), key));
  } catch {
    id = key; // made before ids existed
  }
  return existsSync(path.join(layerDir(paths, id), 'layer.json')) ? id : null;
}

/** Point `key` at `id`: readers see the old or the new target, never none. */
function indexLayer(paths: Paths, key: string, id: string): void {
  const dir = keyIndex(paths);
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${key}.${process.pid}.${randomHex(4)}`);
  symlinkSync(id, tmp);
  renameSync(tmp, path.join(dir, key));
}

/** Drop index entries whose layer is gone (removed as unused). */
export function pruneLayerIndex(paths: Paths): void {
  let keys: string[] = [];
  try {
    keys = readdirSync(keyIndex(paths));
  } catch {
    return;
  }
  for (const k of keys) {
    const entry = path.join(keyIndex(paths), k);
    let id: string;
    try {
      id = readlinkSync(entry);
    } catch {
      continue;
    }
    if (!existsSync(layerDir(paths, id))) rmSync(entry, { force: true });
  }
}

/** overlayfs lowerdir list for layers given bottom-first: top first, base last. */
export function lowerdirs(paths: Paths, baseRootfs: string, layers: string[]): string[] {
  return [...layers]
    .reverse()
    .map((k) => layerDiff(paths, k))
    .concat(baseRootfs);
}

/**
 * Hash of a directory tree's names, types, modes, link targets and bytes, in a stable order.
 * Two trees hash alike exactly when COPYing them would produce the same layer.
 */
export function hashTree(root: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    const st = lstatSync(abs);
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isSymbolicLink()) h.update(readlinkSync(abs));
    else if (st.isFile()) h.update(readFileSync(abs));
    else if (st.isDirectory()) for (const n of readdirSync(abs).sort()) walk(rel ? `${rel}/${n}` : n);
    h.update('\0');
  };
  walk('');
  return h.digest('hex');
}

/** Apparent bytes of a tree (files and link targets), for `images`. */
export function treeSize(root: string): number {
  let total = 0;
  const walk = (abs: string) => {
    const st = lstatSync(abs);
    if (st.isDirectory()) for (const n of readdirSync(abs)) walk(path.join(abs, n));
    else total += st.size;
  };
  if (existsSync(root)) walk(root);
  return total;
}

/** A layer under construction: its own temp dir, renamed into place only when complete. */
export interface PendingLayer {
  key: string;
  dir: string;
  diff: string;
  work: string;
  merged: string;
}

export function startLayer(paths: Paths, key: string): PendingLayer {
  const dir = path.join(paths.layers, `.tmp-${key.slice(0, 16)}-${process.pid}-${Date.now()}`);
  const p = { key, dir, diff: path.join(dir, 'diff'), work: path.join(dir, 'work'), merged: path.join(dir, 'merged') };
  // Layers hold whatever RUN made (setuid binaries, sockets): not for other host users to reach.
  // Only the parent is closed; the diff dirs keep 0755, as they become the container's `/`.
  mkdirSync(paths.layers, { recursive: true, mode: 0o700 });
  for (const d of [p.diff, p.work, p.merged]) mkdirSync(d, { recursive: true });
  return p;
}

/** A fresh id: its key's prefix (for humans) and random bits, so no two commits share a directory. */
function newLayerId(key: string): string {
  return `${key.slice(0, 40)}-${randomHex(8)}`;
}

/**
 * Move a complete layer into its own directory and make it what its key resolves to. An older
 * layer under the same key (a `--no-cache` rebuild, or a concurrent build of the same step) keeps
 * its directory: images and containers that name it go on using it until it is unused.
 */
export function commitLayer(
  paths: Paths,
  p: PendingLayer,
  info: Omit<LayerInfo, 'size' | 'id'>,
): LayerInfo & { id: string } {
  rmSync(p.work, { recursive: true, force: true });
  rmSync(p.merged, { recursive: true, force: true });
  rmSync(`${p.merged}.pid`, { force: true });
  const id = newLayerId(p.key);
  const full = { ...info, id, size: treeSize(p.diff) };
  writeJson(path.join(p.dir, 'layer.json'), full);
  renameSync(p.dir, layerDir(paths, id));
  indexLayer(paths, p.key, id);
  return full;
}

export function discardLayer(p: PendingLayer): void {
  rmSync(p.dir, { recursive: true, force: true });
}

/** Temp layers whose builder died (killed mid-RUN): safe to remove, their namespaces are gone. */
export function removeStaleLayerTemps(paths: Paths): void {
  removeDeadOwners(paths.layers, /^\.tmp-[0-9a-f]+-(\d+)-\d+$/);
}

/** Ids of every committed layer (temps and the key index excluded). */
export function listLayerIds(paths: Paths): string[] {
  try {
    return readdirSync(paths.layers).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}
