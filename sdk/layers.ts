/**
 * Layers: one overlayfs upper directory per Conductorfile instruction, content-addressed by a key
 * derived from the parent's key and the instruction (plus, for COPY, a hash of the copied files).
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from './config.ts';
import { readJson, removeDeadOwners, writeJson } from './fsutil.ts';

export interface LayerInfo {
  key: string;
  parent: string;
  instruction: string;
  createdAt: string;
  size: number;
}

export function layerDir(paths: Paths, key: string): string {
  return path.join(paths.layers, key);
}

export function layerDiff(paths: Paths, key: string): string {
  return path.join(layerDir(paths, key), 'diff');
}

export function readLayer(paths: Paths, key: string): LayerInfo | null {
  return readJson<LayerInfo>(path.join(layerDir(paths, key), 'layer.json'));
}

/** Cache key of a step: pure function of its parent and what it does. */
export function layerKey(parent: string, instruction: string, contentHash = ''): string {
  return createHash('sha256').update(`${parent}\n${instruction}\n${contentHash}`).digest('hex');
}

/** overlayfs lowerdir list for layers given bottom-first: top first, base last. */
export function lowerdirs(paths: Paths, baseRootfs: string, layers: string[]): string[] {
  return [...layers].reverse().map((k) => layerDiff(paths, k)).concat(baseRootfs);
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

export function commitLayer(paths: Paths, p: PendingLayer, info: Omit<LayerInfo, 'size'>): LayerInfo {
  rmSync(p.work, { recursive: true, force: true });
  rmSync(p.merged, { recursive: true, force: true });
  rmSync(`${p.merged}.pid`, { force: true });
  const full: LayerInfo = { ...info, size: treeSize(p.diff) };
  writeJson(path.join(p.dir, 'layer.json'), full);
  try {
    renameSync(p.dir, layerDir(paths, p.key));
  } catch {
    // A concurrent build made the same layer first; keys are content addresses, so theirs is ours.
    rmSync(p.dir, { recursive: true, force: true });
  }
  return full;
}

export function discardLayer(p: PendingLayer): void {
  rmSync(p.dir, { recursive: true, force: true });
}

/** Temp layers whose builder died (killed mid-RUN): safe to remove, their namespaces are gone. */
export function removeStaleLayerTemps(paths: Paths): void {
  removeDeadOwners(paths.layers, /^\.tmp-[0-9a-f]+-(\d+)-\d+$/);
}

export function listLayerKeys(paths: Paths): string[] {
  try {
    return readdirSync(paths.layers).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}
