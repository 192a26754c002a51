/** Public image verbs: images, removeImage, removeCache. */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths, type CommonOptions, type Paths } from './config.ts';
import { ConductorError } from './errors.ts';
import { deleteImageRecord, listImages, requireImage } from './image-store.ts';
import { layerDir, listLayerKeys, removeStaleLayerTemps } from './layers.ts';
import { requireRoot } from './host.ts';
import { validateName } from './names.ts';
import { listRecords } from './state.ts';
import type { ImageInfo } from './types.ts';

/**
 * Every image in the state root.
 * @example for (const img of await images()) console.log(img.name, img.size);
 */
export async function images(opts: CommonOptions = {}): Promise<ImageInfo[]> {
  return listImages(resolvePaths(opts.root));
}

/**
 * Remove an image and the layers no other image uses. Refused while a container uses it.
 * @example await removeImage('web');
 */
export async function removeImage(name: string, opts: CommonOptions = {}): Promise<{ removedLayers: number }> {
  validateName('image', name);
  requireRoot();
  const paths = resolvePaths(opts.root);
  requireImage(paths, name);
  const users = listRecords(paths).filter((r) => r.image === name).map((r) => r.name);
  if (users.length > 0) {
    throw new ConductorError('IMAGE_IN_USE', `image "${name}" is used by container "${users[0]}"`, {
      hint: `stop ${users.map((u) => `"${u}"`).join(', ')} first`,
    });
  }
  deleteImageRecord(paths, name);
  return { removedLayers: removeUnusedLayers(paths).length };
}

/** Layers referenced by no image (nor by a container's image) are deleted; returns their keys. */
function removeUnusedLayers(paths: Paths): string[] {
  const used = new Set(listImages(paths).flatMap((i) => i.layers));
  const removed: string[] = [];
  for (const key of listLayerKeys(paths)) {
    if (!used.has(key)) {
      rmSync(layerDir(paths, key), { recursive: true, force: true });
      removed.push(key);
    }
  }
  removeStaleLayerTemps(paths);
  return removed;
}

export interface RemoveCacheOptions extends CommonOptions {
  /** Remove images too (refused while containers exist). */
  all?: boolean;
}

export interface RemoveCacheResult {
  removedLayers: number;
  removedBases: string[];
  /** What was kept, and why. */
  kept: string[];
}

/**
 * Remove cached bases and layers no image uses; with `all`, every image too.
 * @example const r = await removeCache(); console.log(r.kept);
 */
export async function removeCache(opts: RemoveCacheOptions = {}): Promise<RemoveCacheResult> {
  requireRoot();
  const paths = resolvePaths(opts.root);
  const containers = listRecords(paths);
  const kept: string[] = [];
  if (opts.all) {
    if (containers.length > 0) {
      throw new ConductorError('IMAGE_IN_USE', `container "${containers[0]!.name}" still exists`, { hint: 'stop every container first (conductor stop --all)' });
    }
    for (const img of listImages(paths)) deleteImageRecord(paths, img.name);
  }
  const removedLayers = removeUnusedLayers(paths).length;
  const imgs = listImages(paths);
  const usedBases = new Set(imgs.map((i) => `${i.base.distro}-${i.base.suite}`));
  const removedBases: string[] = [];
  let bases: string[] = [];
  try {
    bases = readdirSync(paths.base).filter((b) => !b.startsWith('.'));
  } catch {
    /* no cache yet */
  }
  // A cache named by CONDUCTOR_CACHE may serve other state roots whose images we cannot see.
  const shared = paths.cache !== path.join(paths.root, '.cache');
  for (const b of bases) {
    if (shared) {
      kept.push(`base ${b}: the cache ${paths.cache} is shared (CONDUCTOR_CACHE); other state roots may use it`);
    } else if (usedBases.has(b)) {
      kept.push(`base ${b}: used by image ${imgs.filter((i) => `${i.base.distro}-${i.base.suite}` === b).map((i) => `"${i.name}"`).join(', ')}`);
    } else {
      rmSync(path.join(paths.base, b), { recursive: true, force: true });
      removedBases.push(b);
    }
  }
  for (const img of imgs) kept.push(`image "${img.name}": ${img.layers.length} layers kept (use --all to remove images)`);
  return { removedLayers, removedBases, kept };
}
