/** Public image verbs: images, removeImage, removeCache. */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { deleteImageRecord, listImages, requireImage } from '../state/images.ts';
import { withLock } from '../state/lock.ts';
import { removeBuildCaches } from './build-cache.ts';
import { layerDir, listLayerIds, pruneLayerIndex, removeStaleLayerTemps } from './layers.ts';
import { requireRoot } from '../host/preflight.ts';
import { validateName } from '../names.ts';
import { listRecords } from '../state/containers.ts';
import type { ContainerRecord, ImageInfo } from '../types.ts';

/**
 * Every image in the state root.
 * @example for (const img of await images()) console.log(img.name, img.size);
 */
export async function images(opts: CommonOptions = {}): Promise<ImageInfo[]> {
  return listImages(resolvePaths(opts.root));
}

export interface RemoveImageOptions extends CommonOptions {
  /** Change nothing: `plan` lists what would be deleted. */
  dryRun?: boolean;
}

export interface RemoveImageResult {
  removedLayers: number;
  kept: string[];
  /** With dryRun: the directories that would be deleted, as shell lines. */
  plan?: string[];
}

/**
 * Remove an image and the layers no other image uses. Refused while a container uses it.
 * @example await removeImage('web');
 */
export async function removeImage(name: string, opts: RemoveImageOptions = {}): Promise<RemoveImageResult> {
  validateName('image', name);
  requireRoot();
  const paths = resolvePaths(opts.root);
  requireImage(paths, name);
  const refuseInUse = () => {
    const users = listRecords(paths)
      .filter((r) => r.image === name)
      .map((r) => r.name);
    if (users.length > 0) {
      throw new ConductorError('IMAGE_IN_USE', `image "${name}" is used by container "${users[0]}"`, {
        hint: `stop ${users.map((u) => `"${u}"`).join(', ')} first`,
      });
    }
  };
  if (opts.dryRun) {
    refuseInUse();
    const r = removeUnusedLayers(paths, listRecords(paths), { dryRun: true, withoutImage: name });
    const plan = [path.join(paths.images, name), ...r.removed.map((id) => layerDir(paths, id))].map(
      (d) => `rm -rf ${d}`,
    );
    return { removedLayers: r.removed.length, kept: r.kept, plan };
  }
  // Under `names`, as run creates records: a run either recorded its layers before we look, or
  // finds the image gone.
  return withLock(paths.locks, 'names', async () => {
    refuseInUse();
    deleteImageRecord(paths, name);
    const r = removeUnusedLayers(paths, listRecords(paths));
    return { removedLayers: r.removed.length, kept: r.kept };
  });
}

/**
 * The layers a container stacks. Records from before they named their layers fall back to their
 * image's current layers (the best that is known).
 */
function containerLayers(paths: Paths, rec: ContainerRecord): string[] {
  return rec.layers ?? listImages(paths).find((i) => i.name === rec.image)?.layers ?? [];
}

/**
 * Layers referenced by no image and no container record are deleted. A container's overlay reads
 * its layers for as long as it runs, whatever happened to its image since: removing one would
 * make files vanish under it.
 */
function removeUnusedLayers(
  paths: Paths,
  containers: ContainerRecord[],
  opts: { dryRun?: boolean; withoutImage?: string } = {},
): { removed: string[]; kept: string[] } {
  const byImage = new Set(
    listImages(paths)
      .filter((i) => i.name !== opts.withoutImage)
      .flatMap((i) => i.layers),
  );
  const byContainer = new Map<string, string[]>();
  for (const c of containers)
    for (const id of containerLayers(paths, c)) byContainer.set(id, [...(byContainer.get(id) ?? []), c.name]);
  const removed: string[] = [];
  const kept: string[] = [];
  for (const id of listLayerIds(paths)) {
    if (byImage.has(id)) continue;
    const users = byContainer.get(id);
    if (users) {
      kept.push(`layer ${id.slice(0, 12)}: used by container ${users.map((u) => `"${u}"`).join(', ')}`);
      continue;
    }
    if (!opts.dryRun) rmSync(layerDir(paths, id), { recursive: true, force: true });
    removed.push(id);
  }
  if (opts.dryRun) return { removed, kept };
  pruneLayerIndex(paths);
  removeStaleLayerTemps(paths);
  return { removed, kept };
}

export interface RemoveCacheOptions extends CommonOptions {
  /** Remove images too, except those a container was made from (as rmi refuses them). */
  all?: boolean;
}

export interface RemoveCacheResult {
  removedLayers: number;
  removedBases: string[];
  /** Build caches (RUN --mount=type=cache, apt's) removed, by id. */
  removedBuildCaches: string[];
  /** What was kept, and why. */
  kept: string[];
}

/**
 * Remove cached bases and layers no image uses, and the build caches no running build has mounted;
 * with `all`, every image too.
 * @example const r = await removeCache(); console.log(r.kept);
 */
export async function removeCache(opts: RemoveCacheOptions = {}): Promise<RemoveCacheResult> {
  requireRoot();
  const paths = resolvePaths(opts.root);
  return withLock(paths.locks, 'names', async () => removeCacheLocked(paths, Boolean(opts.all)));
}

async function removeCacheLocked(paths: Paths, all: boolean): Promise<RemoveCacheResult> {
  const containers = listRecords(paths);
  const kept: string[] = [];
  if (all) {
    for (const img of listImages(paths)) {
      const users = containers.filter((c) => c.image === img.name).map((c) => `"${c.name}"`);
      if (users.length > 0) kept.push(`image "${img.name}": used by container ${users.join(', ')}`);
      else deleteImageRecord(paths, img.name);
    }
  }
  const layers = removeUnusedLayers(paths, containers);
  kept.push(...layers.kept);
  const removedLayers = layers.removed.length;
  const imgs = listImages(paths);
  const baseName = (b: { distro: string; suite: string }) => `${b.distro}-${b.suite}`;
  const usedBases = new Set(imgs.map((i) => baseName(i.base)));
  const baseUsers = new Map<string, string[]>();
  for (const c of containers) {
    const b = c.base ?? imgs.find((i) => i.name === c.image)?.base;
    if (b) baseUsers.set(baseName(b), [...(baseUsers.get(baseName(b)) ?? []), c.name]);
  }
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
      kept.push(
        `base ${b}: used by image ${imgs
          .filter((i) => baseName(i.base) === b)
          .map((i) => `"${i.name}"`)
          .join(', ')}`,
      );
    } else if (baseUsers.has(b)) {
      kept.push(
        `base ${b}: used by container ${baseUsers
          .get(b)!
          .map((n) => `"${n}"`)
          .join(', ')}`,
      );
    } else {
      rmSync(path.join(paths.base, b), { recursive: true, force: true });
      removedBases.push(b);
    }
  }
  if (!all)
    for (const img of imgs)
      kept.push(`image "${img.name}": ${img.layers.length} layers kept (use --all to remove images)`);
  const buildCaches = await removeBuildCaches(paths);
  kept.push(...buildCaches.kept);
  return { removedLayers, removedBases, removedBuildCaches: buildCaches.removed, kept };
}
