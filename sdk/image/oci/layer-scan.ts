/**
 * One pass over a layer blob before anything is extracted: the blob's sha256 (its digest), the
 * uncompressed tar's sha256 (its diff_id), and every header through the entry rules. Whiteouts
 * found are returned for the conversion after extraction.
 */
import { createHash } from 'node:crypto';
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { ConductorError } from '../../errors.ts';
import { layerChecker } from './entry-rules.ts';
import { createTarParser, TarFormatError } from './tar-format.ts';
import { layerMarker, type LayerMarker } from './whiteouts.ts';

export interface ScannedLayer {
  gzip: boolean;
  markers: NonNullable<LayerMarker>[];
  /** Sum of regular files' sizes. */
  bytes: number;
}

function magic(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    return b;
  } finally {
    closeSync(fd);
  }
}

/**
 * Verify and check one layer blob. Throws DIGEST_MISMATCH or INVALID_ARCHIVE.
 *
 * @example
 * const desc = { digest: 'sha256:ab…', diffId: 'sha256:cd…' };
 * await scanLayer('/tmp/x/blobs/sha256/ab…', desc, 'layer 1 of "x.tar"');
 */
export async function scanLayer(
  file: string,
  want: { digest?: string; size?: number; diffId: string },
  where: string,
): Promise<ScannedLayer> {
  const m = magic(file);
  const gzip = m[0] === 0x1f && m[1] === 0x8b;
  if (m.readUInt32LE(0) === 0xfd2fb528) {
    throw new ConductorError('INVALID_ARCHIVE', `${where} is zstd-compressed, which conductor cannot read`, {
      hint: 'convert it: skopeo copy --dest-decompress ...',
    });
  }
  const blob = createHash('sha256');
  const diff = createHash('sha256');
  const checker = layerChecker(where);
  const markers: NonNullable<LayerMarker>[] = [];
  let bytes = 0;
  let size = 0;
  const parser = createTarParser({
    entry(e, raw) {
      const rel = checker.check(e, raw);
      const mk = rel === '' ? null : layerMarker(rel);
      if (mk) markers.push(mk);
      if (e.type === 'file') bytes += e.size;
    },
  });
  const feed = (b: Buffer) => {
    diff.update(b);
    parser.push(b);
  };
  try {
    const input = createReadStream(file);
    if (gzip) {
      const gz = createGunzip();
      input.on('data', (b) => {
        blob.update(b as Buffer);
        size += (b as Buffer).length;
      });
      input.pipe(gz);
      for await (const b of gz) feed(b as Buffer);
    } else {
      for await (const b of input) {
        blob.update(b as Buffer);
        size += (b as Buffer).length;
        feed(b as Buffer);
      }
    }
    parser.end();
  } catch (e) {
    if (e instanceof TarFormatError)
      throw new ConductorError('INVALID_ARCHIVE', `${where} is not a valid tar: ${e.message}; nothing was imported`);
    if (e instanceof ConductorError) throw e;
    throw new ConductorError(
      'INVALID_ARCHIVE',
      `${where} cannot be read: ${(e as Error).message}; nothing was imported`,
    );
  }
  const got = { digest: `sha256:${blob.digest('hex')}`, diffId: `sha256:${diff.digest('hex')}` };
  const mismatch = (what: string, w: string, g: string) =>
    new ConductorError(
      'DIGEST_MISMATCH',
      `${where}: ${what} is ${g.slice(0, 19)}, the image says ${w.slice(0, 19)}; nothing was imported`,
      { hint: 'the archive is damaged or was altered' },
    );
  if (want.digest && got.digest !== want.digest) throw mismatch('the blob digest', want.digest, got.digest);
  if (want.size !== undefined && size !== want.size) throw mismatch('the blob size', String(want.size), String(size));
  if (got.diffId !== want.diffId) throw mismatch('the diff_id', want.diffId, got.diffId);
  return { gzip, markers, bytes };
}
