/**
 * A layer directory as an OCI layer tar stream, deterministically: names sorted bytewise depth
 * first (GNU tar's --sort=name), numeric owners, stored mtimes in whole seconds, no atime/ctime,
 * overlay whiteouts converted (sdk/image/oci/whiteouts.ts), hard links kept, file capabilities
 * kept. A writer of our own rather than GNU tar: tar would archive overlay's 0/0 devices as
 * devices and its opaque xattr as an xattr; converting them needs a walk of our own anyway.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import path from 'node:path';
import { ConductorError } from '../../errors.ts';
import { encodeHeader, endOfArchive, padding, type TarEntry } from './tar-format.ts';
import { keptXattrs, OPAQUE_MARKER, upperKind, whiteoutFor, type UpperStat } from './whiteouts.ts';

export interface LayerTarOptions {
  /** The debootstrap base: no /dev/* (the runtime makes its own), hostname and resolv.conf emptied. */
  base?: boolean;
  /** xattrs by relative path (treeXattrs). */
  xattrs: Map<string, Record<string, Buffer>>;
}

const CHUNK = 1 << 20;
/** Files of the build host that debootstrap copied into the base; a runtime writes its own. */
const BASE_EMPTIED = new Set(['etc/hostname', 'etc/resolv.conf']);

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function typeOf(st: Stats): UpperStat['type'] {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

const major = (rdev: number) => Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
const minor = (rdev: number) => Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);

function* fileChunks(abs: string, size: number): Generator<Buffer> {
  const fd = openSync(abs, 'r');
  try {
    let left = size;
    while (left > 0) {
      const b = Buffer.allocUnsafe(Math.min(CHUNK, left));
      const n = readSync(fd, b, 0, b.length, null);
      if (n === 0) throw new ConductorError('COMMAND_FAILED', `"${abs}" shrank while it was exported`);
      left -= n;
      yield n === b.length ? b : b.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The tar bytes of one layer, in pieces (headers batched, file contents in 1 MiB chunks).
 *
 * @example
 * for (const b of layerTar('/state/.layers/ab12/diff', { xattrs })) hash.update(b);
 */
export function* layerTar(root: string, opts: LayerTarOptions): Generator<Buffer> {
  const links = new Map<string, string>();
  let batch: Buffer[] = [];
  let batched = 0;
  function* flush(): Generator<Buffer> {
    if (batched) yield Buffer.concat(batch);
    batch = [];
    batched = 0;
  }
  function* emit(b: Buffer): Generator<Buffer> {
    batch.push(b);
    batched += b.length;
    if (batched >= 64 * 1024) yield* flush();
  }
  function* walk(rel: string): Generator<Buffer> {
    for (const name of readdirSync(rel ? path.join(root, rel) : root).sort(byBytes)) {
      const r = rel ? `${rel}/${name}` : name;
      if (opts.base && rel === 'dev') continue;
      const abs = path.join(root, r);
      const st = lstatSync(abs);
      const type = typeOf(st);
      if (type === 'socket') continue; // tar has no sockets; a runtime recreates its own
      const xattrs = opts.xattrs.get(r) ?? {};
      const kind = upperKind(r, { type, rdevMajor: major(st.rdev), rdevMinor: minor(st.rdev) }, xattrs);
      const mtime = Math.floor(st.mtimeMs / 1000);
      const common = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime };
      if (kind === 'whiteout') {
        yield* emit(encodeHeader({ path: whiteoutFor(r), type: 'file', size: 0, ...common, mode: 0o600 }));
        continue;
      }
      const e: TarEntry = { path: r, type, size: 0, ...common };
      const keep = keptXattrs(xattrs);
      if (Object.keys(keep).length) e.xattrs = keep;
      if (type === 'symlink') e.linkname = readlinkSync(abs);
      if (type === 'char' || type === 'block') {
        e.devmajor = major(st.rdev);
        e.devminor = minor(st.rdev);
      }
      if (type === 'file') {
        const id = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(id) : undefined;
        if (first !== undefined) {
          yield* emit(encodeHeader({ ...e, type: 'hardlink', linkname: first }));
          continue;
        }
        if (st.nlink > 1) links.set(id, r);
        e.size = opts.base && BASE_EMPTIED.has(r) ? 0 : st.size;
      }
      yield* emit(encodeHeader(e));
      if (type === 'file' && e.size > 0) {
        yield* flush();
        yield* fileChunks(abs, e.size);
        const pad = padding(e.size);
        if (pad) yield* emit(Buffer.alloc(pad));
      }
      if (type === 'dir') {
        if (kind === 'opaque-dir')
          yield* emit(encodeHeader({ path: `${r}/${OPAQUE_MARKER}`, type: 'file', size: 0, ...common, mode: 0o600 }));
        yield* walk(r);
      }
    }
  }
  yield* walk('');
  yield* emit(endOfArchive());
  yield* flush();
}
