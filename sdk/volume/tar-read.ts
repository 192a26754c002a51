/**
 * Unpack a tar stream that came OUT of a container onto the host, with conductor's own code: the
 * stream is hostile (the image's tar produced it). Every entry must stay under `dest/top`:
 * absolute names, "..", names outside the expected top entry, and anything through a symlink are
 * refused; an existing file is unlinked before it is written (never written through a link);
 * hard links may only point at files this stream wrote; device nodes and fifos are skipped;
 * set-user/group-id bits are dropped (a container must not plant a set-id binary on the host).
 * Directory modes are applied last (a 0555 directory must not stop its own entries).
 */
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
  constants,
} from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ConductorError } from '../errors.ts';

export interface UnpackOptions {
  /** The entry name the archive's top must have (basename of the copied path; '.' = its contents). */
  top: string;
  /** What the top entry is written as, under dest ('.' = dest itself). */
  as: string;
  /** Keep the archive's owners (`cp -a`); otherwise files belong to the caller. */
  keepOwners?: boolean;
  /** Told about skipped entries (devices, fifos). */
  warn?: (msg: string) => void;
}

const refuse = (why: string) => new ConductorError('INVALID_ARGUMENT', `refused archive entry: ${why}`);

/** A byte reader over a stream: exactly n bytes, or null at a clean end. */
class Blocks {
  private buf = Buffer.alloc(0);
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;
  constructor(stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }
  async take(n: number): Promise<Buffer | null> {
    while (this.buf.length < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : Buffer.from(r.value);
    }
    if (this.buf.length < n) {
      if (this.buf.length === 0) return null;
      throw refuse('truncated archive');
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  /** Up to n bytes (at least 1), for file contents. */
  async some(n: number): Promise<Buffer> {
    if (this.buf.length === 0 && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else this.buf = Buffer.from(r.value);
    }
    if (this.buf.length === 0) throw refuse('truncated archive');
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }
}

const str = (b: Buffer, off: number, len: number) => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
};
const num = (b: Buffer, off: number, len: number): number => {
  if (b[off]! & 0x80) throw refuse('base-256 numbers are not supported');
  const t = str(b, off, len).trim();
  if (!/^[0-7]*$/.test(t)) throw refuse(`bad number "${t}"`);
  return t === '' ? 0 : parseInt(t, 8);
};

function parsePax(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(' ', i);
    const len = Number(body.slice(i, sp));
    if (sp < 0 || !Number.isInteger(len) || len <= 0) throw refuse('bad pax header');
    const rec = body.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** The archive name as components under dest, or a refusal. Pure. */
export function mapEntryName(name: string, top: string, as: string): string[] {
  if (name.includes('\0') || name === '') throw refuse('empty name');
  if (name.startsWith('/')) throw refuse(`absolute name "${name}"`);
  const parts = name.split('/').filter((p) => p !== '');
  if (parts.includes('..')) throw refuse(`".." in "${name}"`);
  const clean = top === '.' ? parts.filter((p, i) => !(i === 0 && p === '.')) : parts.filter((p) => p !== '.');
  if (top !== '.' && clean[0] !== top) throw refuse(`"${name}" is outside the copied path "${top}"`);
  const rest = top === '.' ? clean.filter((p) => p !== '.') : clean.slice(1);
  return as === '.' ? rest : [as, ...rest];
}

/** lstat, or null if missing. */
function lst(p: string) {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Walk dest/parts[0..n-1] making missing directories; every existing component must be a real directory. */
function parentDir(dest: string, parts: string[]): string {
  let dir = dest;
  for (const p of parts.slice(0, -1)) {
    dir = path.join(dir, p);
    const st = lst(dir);
    if (!st) mkdirSync(dir, { mode: 0o755 });
    else if (!st.isDirectory())
      throw refuse(
        `"${path.relative(dest, dir)}" is ${st.isSymbolicLink() ? 'a symlink' : 'not a directory'}: ` +
          'nothing is written through it',
      );
  }
  return dir;
}

/**
 * Unpack `stream` into the existing host directory `dest`.
 * @example await unpackToHost(containerTarStdout, '/srv/backup', { top: 'data', as: 'data' });
 */
export async function unpackToHost(stream: Readable, dest: string, opts: UnpackOptions): Promise<number> {
  const r = new Blocks(stream);
  const written = new Set<string>();
  const dirs: Array<{ p: string; mode: number; uid: number; gid: number; mtime: number }> = [];
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let count = 0;
  const skipData = async (size: number) => {
    for (let left = size + ((512 - (size % 512)) % 512); left > 0;) left -= (await r.some(left)).length;
  };
  for (;;) {
    const h = await r.take(512);
    if (!h || h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== num(h, 148, 8)) throw refuse('bad header checksum');
    const type = String.fromCharCode(h[156]!) || '0';
    const size = pax.size !== undefined ? Number(pax.size) : num(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) throw refuse('bad size');
    if (type === 'x' || type === 'g' || type === 'L' || type === 'K') {
      if (size > 1 << 20) throw refuse('metadata header larger than 1 MiB');
      const body = size ? (await r.take(size + ((512 - (size % 512)) % 512)))!.subarray(0, size) : Buffer.alloc(0);
      if (type === 'x') pax = { ...pax, ...parsePax(body.toString('utf8')) };
      else if (type === 'L') longName = str(body, 0, body.length);
      else if (type === 'K') longLink = str(body, 0, body.length);
      continue;
    }
    const prefix = h.subarray(257, 263).toString('latin1') === 'ustar\0' ? str(h, 345, 155) : '';
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    const linkname = pax.linkpath ?? longLink ?? str(h, 157, 100);
    const meta = {
      mode: num(h, 100, 8) & 0o1777,
      uid: pax.uid ? Number(pax.uid) : num(h, 108, 8),
      gid: pax.gid ? Number(pax.gid) : num(h, 116, 8),
      mtime: pax.mtime ? Number(pax.mtime) : num(h, 136, 12),
    };
    pax = {};
    longName = longLink = undefined;
    const parts = mapEntryName(name, opts.top, opts.as);
    const target = parts.length ? path.join(dest, ...parts) : dest;
    if (parts.length === 0 && type !== '5') throw refuse(`"${name}" would replace the destination directory`);
    if (parts.length) parentDir(dest, parts);
    const existing = parts.length ? lst(target) : lst(dest);
    const clear = () => {
      if (existing && !existing.isDirectory()) unlinkSync(target);
      else if (existing) throw refuse(`"${name}" would replace a directory`);
    };
    count++;
    if (type === '5') {
      if (existing && !existing.isDirectory()) throw refuse(`"${name}" would replace a non-directory`);
      if (!existing) mkdirSync(target, { mode: 0o700 });
      dirs.push({ p: target, ...meta });
      await skipData(size);
    } else if (type === '0' || type === '\0' || type === '7') {
      clear();
      const fd = openSync(
        target,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        for (let left = size; left > 0;) {
          const chunk = await r.some(left);
          writeSync(fd, chunk);
          left -= chunk.length;
        }
        if (opts.keepOwners) fchownSync(fd, meta.uid, meta.gid);
        fchmodSync(fd, meta.mode);
        futimesSync(fd, meta.mtime, meta.mtime);
      } finally {
        closeSync(fd);
      }
      const padLen = (512 - (size % 512)) % 512;
      if (padLen) await r.take(padLen);
      written.add(target);
    } else if (type === '2') {
      clear();
      if (!linkname || linkname.includes('\0')) throw refuse(`symlink "${name}" has no target`);
      symlinkSync(linkname, target);
      if (opts.keepOwners) lchownSync(target, meta.uid, meta.gid);
      await skipData(size);
    } else if (type === '1') {
      const from = path.join(dest, ...mapEntryName(linkname, opts.top, opts.as));
      if (!written.has(from))
        throw refuse(`hard link "${name}" points at "${linkname}", which this copy did not write`);
      const st = lst(from);
      if (!st || !st.isFile()) throw refuse(`hard link "${name}" points at a non-file`);
      clear();
      linkSync(from, target);
      written.add(target);
      await skipData(size);
    } else {
      opts.warn?.(`skipped "${name}": device nodes, fifos and other special files are not copied`);
      count--;
      await skipData(size);
    }
  }
  // Deepest first, so a read-only parent is applied after its children.
  for (const d of dirs.reverse()) {
    if (opts.keepOwners) lchownSync(d.p, d.uid, d.gid);
    chmodSync(d.p, d.mode);
    utimesSync(d.p, d.mtime, d.mtime);
  }
  return count;
}
