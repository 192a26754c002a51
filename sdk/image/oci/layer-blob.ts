/**
 * A layer's blob: its descriptor ({diffId, digest, size}), cached beside the layer once computed
 * (`oci.json` in the layer's directory, or the base's), and its bytes streamed into an archive.
 * Layer directories are immutable and named per commit, so the cache never goes stale; it is
 * still checked: the bytes streamed are hashed again and a mismatch fails the export.
 */
import { createHash } from 'node:crypto';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import path from 'node:path';
import { ConductorError } from '../../errors.ts';
import { readJson, writeJson } from '../../state/files.ts';
import { layerTar } from './layer-tar.ts';
import { treeXattrs } from './xattrs.ts';
import { MEDIA } from './image-json.ts';

export type Compression = 'none' | 'gzip';

export interface BlobInfo {
  diffId: string;
  digest: string;
  size: number;
  mediaType: string;
}

/** One layer to export: a directory, where its cache lives, and whether it is a debootstrap base. */
export interface LayerSource {
  dir: string;
  cacheDir: string;
  base: boolean;
}

const cacheFile = (s: LayerSource, c: Compression) =>
  path.join(s.cacheDir, c === 'gzip' ? 'oci-gzip.json' : 'oci.json');

/** Write `b` and wait while the stream's buffer is full. */
export async function writeAll(out: Writable, b: Buffer): Promise<void> {
  if (!out.write(b))
    await new Promise<void>((resolve, reject) => {
      const done = (e?: Error) => {
        out.off('drain', ok);
        out.off('error', done);
        if (e) reject(e);
        else resolve();
      };
      const ok = () => done();
      out.once('drain', ok);
      out.once('error', done);
    });
}

/**
 * Stream the layer's blob to `sink` (or nowhere), returning its descriptor. Gzip runs at level 6
 * with zlib's fixed header (no name, no mtime): the same input gives the same bytes.
 */
async function produce(s: LayerSource, c: Compression, sink?: (b: Buffer) => Promise<void>): Promise<BlobInfo> {
  const xattrs = await treeXattrs(s.dir);
  const diff = createHash('sha256');
  const blob = createHash('sha256');
  let size = 0;
  const take = async (b: Buffer) => {
    blob.update(b);
    size += b.length;
    if (sink) await sink(b);
  };
  if (c === 'none') {
    for (const b of layerTar(s.dir, { base: s.base, xattrs })) {
      diff.update(b);
      await take(b);
    }
  } else {
    const gz = createGzip({ level: 6 });
    const pending: Buffer[] = [];
    gz.on('data', (b: Buffer) => pending.push(b));
    const drain = async () => {
      while (pending.length) await take(pending.shift()!);
    };
    for (const b of layerTar(s.dir, { base: s.base, xattrs })) {
      diff.update(b);
      await writeAll(gz, b);
      await drain();
    }
    await new Promise<void>((r) => gz.end(r));
    await new Promise<void>((r) => (gz.readableEnded ? r() : gz.once('end', () => r())));
    await drain();
  }
  const diffId = `sha256:${diff.digest('hex')}`;
  return {
    diffId,
    digest: c === 'none' ? diffId : `sha256:${blob.digest('hex')}`,
    size,
    mediaType: c === 'none' ? MEDIA.layer : MEDIA.layerGzip,
  };
}

/** The layer's descriptor: cached, or computed by one pass over the layer (then cached). */
export async function describeLayer(s: LayerSource, c: Compression): Promise<BlobInfo> {
  const cached = readJson<BlobInfo>(cacheFile(s, c));
  if (cached && typeof cached.digest === 'string' && typeof cached.size === 'number') return cached;
  const info = await produce(s, c);
  writeJson(cacheFile(s, c), info);
  return info;
}

/** Stream the blob described by `info`; fails (and drops the cache) if its bytes no longer match. */
export async function streamLayer(s: LayerSource, c: Compression, info: BlobInfo, out: Writable): Promise<void> {
  const got = await produce(s, c, (b) => writeAll(out, b));
  if (got.digest !== info.digest || got.size !== info.size) {
    writeJson(cacheFile(s, c), got);
    throw new ConductorError(
      'DIGEST_MISMATCH',
      `layer "${s.dir}" no longer matches its cached digest ${info.digest.slice(0, 19)}`,
      {
        hint: 'export again (the cache was refreshed)',
      },
    );
  }
}
