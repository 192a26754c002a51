/**
 * importImage: an oci-archive or docker-archive (`podman save`, `docker save`, conductor export)
 * → overlay layers and an image record. Everything is verified before anything is written to the
 * store: each blob's digest and diff_id, each layer's every entry (sdk/image/oci/entry-rules.ts).
 * Layers are keyed by their chain of diff_ids, so importing (or pulling) the same layers twice
 * stores them once.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths, type CommonOptions, type Paths } from '../../config.ts';
import { ConductorError } from '../../errors.ts';
import { requireRoot } from '../../host/preflight.ts';
import { createLogger, type Logger } from '../../log.ts';
import { validateName } from '../../names.ts';
import { readImage, writeImage } from '../../state/images.ts';
import { withLock } from '../../state/lock.ts';
import type { ImageConfig, ImageInfo } from '../../types.ts';
import {
  commitLayer,
  discardLayer,
  readLayer,
  removeStaleLayerTemps,
  resolveLayer,
  startLayer,
  type PendingLayer,
} from '../layers.ts';
import { layerKey } from '../layer-key.ts';
import { memberFile, unpackArchive, type UnpackedArchive } from './archive-read.ts';
import { fromOciRuntimeConfig, ociArch } from './image-json.ts';
import { extractLayer } from './layer-extract.ts';
import { planImport, type PlannedImport } from './layout-plan.ts';
import { scanLayer, type ScannedLayer } from './layer-scan.ts';
import { ensureScratch, SCRATCH } from './scratch.ts';

export interface ImportOptions extends CommonOptions {
  /** What `inspect` shows as the image's source (default `import <file>`). */
  source?: string;
}

/**
 * Import an image archive as image `name` (replacing an image of that name, as build does).
 *
 * @example
 * await importImage('/tmp/web.tar', 'web'); // from `podman save -o /tmp/web.tar web`
 */
export async function importImage(file: string, name: string, opts: ImportOptions = {}): Promise<ImageInfo> {
  validateName('image', name);
  requireRoot();
  const abs = path.resolve(file);
  if (!existsSync(abs) || !statSync(abs).isFile())
    throw new ConductorError('INVALID_ARGUMENT', `archive "${file}" not found`, {
      hint: 'pass the path of a tar from conductor export or podman save',
    });
  const paths = resolvePaths(opts.root);
  const work = workDir(paths);
  try {
    const unpacked = await unpackArchive(abs, path.join(work, 'archive'));
    return await importUnpacked(
      paths,
      unpacked,
      name,
      `archive "${path.basename(abs)}"`,
      opts.source ?? `import ${path.basename(abs)}`,
      opts.log ?? createLogger(),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function workDir(paths: Paths): string {
  const dir = path.join(paths.tmp, `import-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface StoredImage {
  /** Layer ids, bottom first. */
  layers: string[];
  config: ImageConfig;
  createdAt: string;
  /** The manifest's digest (OCI layouts; absent for a docker-archive). */
  digest?: string;
}

/** Import from an unpacked archive or an OCI layout directory (what skopeo writes for a pull). */
export async function importUnpacked(
  paths: Paths,
  a: UnpackedArchive,
  name: string,
  where: string,
  source: string,
  log: Logger,
): Promise<ImageInfo> {
  const stored = await storeUnpacked(paths, a, where, log);
  const img: ImageInfo = {
    name,
    base: { ...SCRATCH },
    layers: stored.layers,
    createdAt: stored.createdAt,
    size: stored.layers.reduce((n, id) => n + (readLayer(paths, id)?.size ?? 0), 0),
    source,
    config: stored.config,
  };
  // Under `names`, as rmi and rmcache take it: they never see the record without its layers.
  await withLock(paths.locks, 'names', async () => {
    for (const id of stored.layers)
      if (!readLayer(paths, id))
        throw new ConductorError('COMMAND_FAILED', `layer ${id.slice(0, 12)} vanished during the import`, {
          hint: 'import again',
        });
    if (readImage(paths, name)) log.debug(`replacing image "${name}"`);
    writeImage(paths, img);
  });
  return img;
}

/** Verify everything, then store the layers that are new: what an import or a FROM pull needs. */
export async function storeUnpacked(
  paths: Paths,
  a: UnpackedArchive,
  where: string,
  log: Logger,
): Promise<StoredImage> {
  const read = (member: string): Buffer | null => {
    const f = memberFile(a, member, where);
    return existsSync(f) && statSync(f).isFile() ? readFileSync(f) : null;
  };
  const plan = planImport(where, read, ociArch(process.arch));
  const scanned: ScannedLayer[] = [];
  for (const [i, l] of plan.layers.entries()) {
    const f = memberFile(a, l.member, where);
    if (!existsSync(f))
      throw new ConductorError(
        'INVALID_ARCHIVE',
        `${where}: layer ${i + 1} ("${l.member}") is missing; nothing was imported`,
      );
    log.debug(`checking layer ${i + 1}/${plan.layers.length} ${l.diffId.slice(0, 19)}`);
    scanned.push(await scanLayer(f, l, `layer ${i + 1} of ${where}`));
  }
  removeStaleLayerTemps(paths);
  const layers = await storeLayers(paths, a, plan, scanned, where, log);
  ensureScratch(paths);
  const cfg = plan.config;
  const createdAt =
    typeof cfg.created === 'string' && !Number.isNaN(Date.parse(cfg.created))
      ? new Date(cfg.created).toISOString()
      : new Date().toISOString();
  const out: StoredImage = { layers, config: fromOciRuntimeConfig(cfg.config), createdAt };
  if (plan.digest) out.digest = plan.digest;
  return out;
}

/**
 * Extract the layers that are not stored yet, each into its own pending dir, and commit them only
 * once all are extracted: a failure leaves no new layer behind.
 */
async function storeLayers(
  paths: Paths,
  a: UnpackedArchive,
  plan: PlannedImport,
  scanned: ScannedLayer[],
  where: string,
  log: Logger,
): Promise<string[]> {
  const pending: { p: PendingLayer; parent: string; instruction: string }[] = [];
  const ids: (string | null)[] = [];
  let parentKey = 'oci';
  let parentId = '';
  try {
    for (const [i, l] of plan.layers.entries()) {
      const key = layerKey(parentKey, `OCI ${l.diffId}`);
      parentKey = key;
      const have = resolveLayer(paths, key);
      if (have) {
        ids.push(have);
        parentId = have;
        continue;
      }
      log.info(`Extracting layer ${i + 1}/${plan.layers.length} ${l.diffId.slice(7, 19)}`);
      const p = startLayer(paths, key);
      pending.push({ p, parent: parentId, instruction: plan.history[i] || `IMPORT ${l.diffId}` });
      await extractLayer(memberFile(a, l.member, where), scanned[i]!, p.diff);
      ids.push(null);
      parentId = key;
    }
  } catch (e) {
    for (const x of pending) discardLayer(x.p);
    throw e;
  }
  const committed = pending.map(
    (x) =>
      commitLayer(paths, x.p, {
        key: x.p.key,
        parent: x.parent,
        instruction: x.instruction,
        createdAt: new Date().toISOString(),
      }).id,
  );
  let next = 0;
  return ids.map((id) => id ?? committed[next++]!);
}
