/**
 * exportImage: an image as ONE tar that podman, skopeo and docker load: an OCI image layout
 * (oci-layout, index.json, blobs/sha256/…) plus docker's manifest.json, as `docker save` ≥ 25
 * writes. Deterministic: two exports of one image are byte-identical (every time in it comes from
 * the image record and the layers' stored mtimes).
 */
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths, type CommonOptions } from '../../config.ts';
import { ConductorError } from '../../errors.ts';
import { requireRoot } from '../../host/preflight.ts';
import { createLogger } from '../../log.ts';
import { validateName } from '../../names.ts';
import { requireImage } from '../../state/images.ts';
import type { ImageInfo } from '../../types.ts';
import { baseDir, baseRootfs } from '../base.ts';
import { defaultImageConfig } from '../image-config.ts';
import { layerDiff, layerDir, readLayer } from '../layers.ts';
import { imageDocs, ociArch, type LayerBlob } from './image-json.ts';
import { describeLayer, streamLayer, writeAll, type Compression, type LayerSource } from './layer-blob.ts';
import { exportName } from './reference.ts';
import { encodeHeader, endOfArchive, padding } from './tar-format.ts';
import { isScratch } from './scratch.ts';

export interface ExportOptions extends CommonOptions {
  /** The reference the archive names the image by (default `localhost/<image>:latest`). */
  tag?: string;
  /** Layer compression (default 'none': digest = diff_id). */
  compress?: Compression;
}

export interface ExportResult {
  file: string;
  /** `localhost/web:latest`: what podman load names it. */
  name: string;
  /** The manifest's digest: the image's identity in a registry. */
  digest: string;
  layers: number;
  bytes: number;
}

interface Part {
  source: LayerSource;
  createdBy: string;
  created: string;
}

function parts(paths: ReturnType<typeof resolvePaths>, img: ImageInfo): Part[] {
  const out: Part[] = [];
  if (!isScratch(img.base)) {
    const dir = baseDir(paths, img.base);
    if (!existsSync(path.join(dir, 'complete'))) {
      throw new ConductorError('IMAGE_NOT_FOUND', `the base of image "${img.name}" is missing from the cache`, {
        hint: `rebuild it: conductor build ${img.name}`,
      });
    }
    const made = readFileSync(path.join(dir, 'complete'), 'utf8').trim();
    out.push({
      source: { dir: baseRootfs(paths, img.base), cacheDir: dir, base: true },
      createdBy: `debootstrap ${img.base.distro}:${img.base.suite}`,
      created: new Date(made).toISOString(),
    });
  }
  for (const id of img.layers) {
    const info = readLayer(paths, id);
    if (!info)
      throw new ConductorError('IMAGE_NOT_FOUND', `layer ${id.slice(0, 12)} of image "${img.name}" is missing`, {
        hint: `rebuild it: conductor build ${img.name}`,
      });
    out.push({
      source: { dir: layerDiff(paths, id), cacheDir: layerDir(paths, id), base: false },
      createdBy: info.instruction,
      created: info.createdAt,
    });
  }
  return out;
}

/**
 * Export an image to an OCI archive (also a docker archive).
 *
 * @example
 * const r = await exportImage('web', { output: 'web.tar' });
 * // podman load -i web.tar  →  Loaded image: localhost/web:latest
 */
export async function exportImage(image: string, output: string, opts: ExportOptions = {}): Promise<ExportResult> {
  validateName('image', image);
  const name = exportName(image, opts.tag);
  const compress = opts.compress ?? 'none';
  if (compress !== 'none' && compress !== 'gzip')
    throw new ConductorError('INVALID_ARGUMENT', `invalid compression "${String(compress)}"`, {
      hint: "use 'none' or 'gzip'",
    });
  requireRoot();
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? createLogger();
  const img = requireImage(paths, image);
  const file = path.resolve(output);
  if (!existsSync(path.dirname(file)))
    throw new ConductorError('INVALID_ARGUMENT', `directory "${path.dirname(file)}" does not exist`, {
      hint: 'create it or choose another -o',
    });
  const list = parts(paths, img);
  const blobs: { part: Part; info: Awaited<ReturnType<typeof describeLayer>> }[] = [];
  for (const [i, part] of list.entries()) {
    log.debug(`layer ${i + 1}/${list.length}: ${part.createdBy}`);
    blobs.push({ part, info: await describeLayer(part.source, compress) });
  }
  const layers: LayerBlob[] = blobs.map(({ part, info }) => ({
    ...info,
    createdBy: part.createdBy,
    created: part.created,
  }));
  const docs = imageDocs(img.config ?? defaultImageConfig(), layers, name, img.createdAt, ociArch(process.arch));
  const mtime = Math.floor(Date.parse(img.createdAt) / 1000) || 0;
  const tmp = `${file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  const closed = new Promise<void>((resolve, reject) => {
    out.once('close', resolve);
    out.once('error', reject);
  });
  const hex = (d: string) => d.slice('sha256:'.length);
  const fileEntry = (p: string, size: number) =>
    encodeHeader({ path: p, type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime });
  const small = async (p: string, data: Buffer) => {
    await writeAll(out, fileEntry(p, data.length));
    await writeAll(out, data);
    await writeAll(out, Buffer.alloc(padding(data.length)));
  };
  try {
    for (const d of ['blobs', 'blobs/sha256'])
      await writeAll(out, encodeHeader({ path: d, type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime }));
    // Every blob once, by digest order: identical layers (two empty RUN diffs) share one.
    const byDigest = new Map<string, () => Promise<void>>();
    byDigest.set(hex(docs.configDesc.digest), () => small(`blobs/sha256/${hex(docs.configDesc.digest)}`, docs.config));
    byDigest.set(hex(docs.manifestDesc.digest), () =>
      small(`blobs/sha256/${hex(docs.manifestDesc.digest)}`, docs.manifest),
    );
    for (const { part, info } of blobs) {
      if (byDigest.has(hex(info.digest))) continue;
      byDigest.set(hex(info.digest), async () => {
        await writeAll(out, fileEntry(`blobs/sha256/${hex(info.digest)}`, info.size));
        await streamLayer(part.source, compress, info, out);
        await writeAll(out, Buffer.alloc(padding(info.size)));
      });
    }
    for (const k of [...byDigest.keys()].sort()) await byDigest.get(k)!();
    await small('index.json', docs.index);
    await small('manifest.json', docs.dockerManifest);
    await small('oci-layout', docs.ociLayout);
    await writeAll(out, endOfArchive());
    out.end();
    await closed;
    renameSync(tmp, file);
  } catch (e) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw e;
  }
  const bytes = blobs.reduce((n, b) => n + b.info.size, 0);
  return { file, name, digest: docs.manifestDesc.digest, layers: layers.length, bytes };
}
