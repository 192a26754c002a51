/**
 * The tar format, pure: headers for entries (ustar, with a PAX record when a field does not fit or
 * xattrs are carried) and an incremental parser. Both sides of OCI layers use it: export writes
 * deterministic headers (numeric owners, no uname/gname, no atime/ctime), import reads every header
 * before anything is extracted. Reference: POSIX.1-2001 pax format, GNU tar's long-name extension.
 */

export type TarType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarEntry {
  /** Relative, '/'-separated, no leading './' and no trailing '/'. */
  path: string;
  type: TarType;
  /** Permission bits with setuid/setgid/sticky (& 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Whole seconds. */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes by name (SCHILY.xattr.*), values as bytes. */
  xattrs?: Record<string, Buffer>;
}

export const BLOCK = 512;

const TYPE_FLAG: Record<TarType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function put(buf: Buffer, off: number, len: number, s: string | Buffer): void {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  b.copy(buf, off, 0, Math.min(len, b.length));
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** Bytes of padding after `size` bytes of content. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function ustar(name: string, type: string, e: Omit<TarEntry, 'path' | 'type'>, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  put(h, 0, 100, name);
  put(h, 100, 8, octal(e.mode & 0o7777, 8));
  put(h, 108, 8, octal(Math.min(e.uid, 0o7777777), 8));
  put(h, 116, 8, octal(Math.min(e.gid, 0o7777777), 8));
  put(h, 124, 12, octal(Math.min(size, 0o77777777777), 12));
  put(h, 136, 12, octal(Math.max(0, Math.min(e.mtime, 0o77777777777)), 12));
  h.fill(' ', 148, 156);
  put(h, 156, 1, type);
  if (e.linkname) put(h, 157, 100, e.linkname);
  put(h, 257, 6, 'ustar\0');
  put(h, 263, 2, '00');
  put(h, 329, 8, octal(e.devmajor ?? 0, 8));
  put(h, 337, 8, octal(e.devminor ?? 0, 8));
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/**
 * The header block(s) of one entry: a PAX extended header first when the path or link target is
 * longer than ustar holds, a number is too large, or xattrs are carried (in sorted order).
 */
export function encodeHeader(e: TarEntry): Buffer {
  const name = e.type === 'dir' ? `${e.path}/` : e.path;
  const records: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) records.push(paxRecord('path', Buffer.from(name)));
  if (e.linkname && Buffer.byteLength(e.linkname) > 100) records.push(paxRecord('linkpath', Buffer.from(e.linkname)));
  if (e.size > 0o77777777777) records.push(paxRecord('size', Buffer.from(String(e.size))));
  if (e.uid > 0o7777777) records.push(paxRecord('uid', Buffer.from(String(e.uid))));
  if (e.gid > 0o7777777) records.push(paxRecord('gid', Buffer.from(String(e.gid))));
  for (const k of Object.keys(e.xattrs ?? {}).sort()) records.push(paxRecord(`SCHILY.xattr.${k}`, e.xattrs![k]!));
  const size = e.type === 'file' ? e.size : 0;
  const main = ustar(name, TYPE_FLAG[e.type], e, size);
  if (records.length === 0) return main;
  const pax = Buffer.concat(records);
  const base = name.replace(/\/$/, '').split('/').pop()!;
  const paxName = `PaxHeaders/${base}`.slice(0, 100);
  const paxHead = ustar(paxName, 'x', { mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime: e.mtime }, pax.length);
  return Buffer.concat([paxHead, pax, Buffer.alloc(padding(pax.length)), main]);
}

/** The end of an archive: two zero blocks. */
export function endOfArchive(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

export class TarFormatError extends Error {}

function str(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
}

function num(b: Buffer, off: number, len: number, what: string): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian, the top bit marks it.
    let n = f[0]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + f[i]!;
    return n;
  }
  const t = str(b, off, len).trim();
  if (t === '') return 0;
  if (!/^[0-7]+$/.test(t)) throw new TarFormatError(`bad ${what} field ${JSON.stringify(t)}`);
  return parseInt(t, 8);
}

function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const len = Number(data.subarray(i, sp).toString());
    if (sp < 0 || !Number.isInteger(len) || len <= 0 || i + len > data.length)
      throw new TarFormatError('bad pax record');
    const rec = data.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new TarFormatError('bad pax record');
    out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    i += len;
  }
  return out;
}

/**
 * The PAX keys this parser understands. Any other is refused: GNU tar honours more (GNU.sparse.name
 * renames the member), so an unknown key could make the name extracted differ from the name checked.
 */
const PAX_KEYS = /^(path|linkpath|size|uid|gid|uname|gname|mtime|atime|ctime|SCHILY\.xattr\..+)$/;
const GLOBAL_PAX_KEYS = /^comment$/;

function checkedPax(m: Map<string, Buffer>, allowed: RegExp): Map<string, Buffer> {
  for (const k of m.keys())
    if (!allowed.test(k)) throw new TarFormatError(`unsupported pax header key ${JSON.stringify(k)}`);
  return m;
}

const TYPES: Record<string, TarType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

export interface TarParserHandlers {
  /** A complete header; `raw` is the name as stored (before normalisation). */
  entry(e: TarEntry, raw: string): void;
  /** Content bytes of the current entry (regular files only). */
  data?(chunk: Buffer): void;
  entryEnd?(): void;
}

/**
 * An incremental tar parser: push() bytes as they come, end() when the input ends. Throws
 * TarFormatError on a corrupt header, an unsupported entry type or a truncated archive.
 */
export function createTarParser(h: TarParserHandlers): { push(chunk: Buffer): void; end(): void } {
  let pending = Buffer.alloc(0);
  let remaining = 0; // content bytes left in the current entry
  let pad = 0;
  let meta: { kind: 'x' | 'g' | 'L' | 'K'; size: number } | null = null;
  let metaBuf: Buffer[] = [];
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let ended = false;
  let zeroBlocks = 0;
  const header = (b: Buffer) => {
    if (b.every((x) => x === 0)) {
      zeroBlocks++;
      if (zeroBlocks >= 2) ended = true;
      return;
    }
    if (zeroBlocks > 0) throw new TarFormatError('data after an end-of-archive block');
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i]!;
    if (num(b, 148, 8, 'checksum') !== sum) throw new TarFormatError('header checksum mismatch');
    const flag = String.fromCharCode(b[156]!);
    const size = num(b, 124, 12, 'size');
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      meta = { kind: flag, size };
      metaBuf = [];
      remaining = size;
      pad = padding(size);
      return;
    }
    const type = TYPES[flag];
    if (!type) throw new TarFormatError(`unsupported entry type ${JSON.stringify(flag)} for "${str(b, 0, 100)}"`);
    const prefix = str(b, 345, 155);
    let raw = longName ?? (prefix && str(b, 257, 6) === 'ustar' ? `${prefix}/${str(b, 0, 100)}` : str(b, 0, 100));
    if (pax.has('path')) raw = pax.get('path')!.toString('utf8');
    const linkname = pax.get('linkpath')?.toString('utf8') ?? longLink ?? str(b, 157, 100);
    const e: TarEntry = {
      path: raw,
      type,
      mode: num(b, 100, 8, 'mode') & 0o7777,
      uid: pax.has('uid') ? Number(pax.get('uid')!.toString()) : num(b, 108, 8, 'uid'),
      gid: pax.has('gid') ? Number(pax.get('gid')!.toString()) : num(b, 116, 8, 'gid'),
      size: pax.has('size') ? Number(pax.get('size')!.toString()) : size,
      mtime: pax.has('mtime') ? Math.floor(Number(pax.get('mtime')!.toString())) : num(b, 136, 12, 'mtime'),
    };
    if (type === 'symlink' || type === 'hardlink') e.linkname = linkname;
    if (type === 'char' || type === 'block') {
      e.devmajor = num(b, 329, 8, 'devmajor');
      e.devminor = num(b, 337, 8, 'devminor');
    }
    const xattrs: Record<string, Buffer> = {};
    for (const [k, v] of pax) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = v;
    if (Object.keys(xattrs).length) e.xattrs = xattrs;
    pax = new Map();
    longName = longLink = undefined;
    // Hard links, links and directories carry no content whatever their size field says.
    remaining = type === 'file' ? e.size : 0;
    pad = padding(remaining);
    h.entry(e, raw);
    if (remaining === 0) h.entryEnd?.();
  };
  const finishMeta = () => {
    const data = Buffer.concat(metaBuf);
    const m = meta!;
    meta = null;
    if (m.kind === 'x') pax = checkedPax(parsePax(data), PAX_KEYS);
    else if (m.kind === 'g') checkedPax(parsePax(data), GLOBAL_PAX_KEYS);
    else if (m.kind === 'L') longName = str(data, 0, data.length);
    else if (m.kind === 'K') longLink = str(data, 0, data.length);
  };
  return {
    push(chunk: Buffer) {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      while (!ended) {
        if (remaining > 0) {
          const n = Math.min(remaining, buf.length - off);
          if (n === 0) break;
          const part = buf.subarray(off, off + n);
          if (meta) metaBuf.push(Buffer.from(part));
          else h.data?.(part);
          off += n;
          remaining -= n;
          if (remaining === 0) {
            if (meta) finishMeta();
            else h.entryEnd?.();
          }
          continue;
        }
        if (pad > 0) {
          const n = Math.min(pad, buf.length - off);
          if (n === 0) break;
          off += n;
          pad -= n;
          continue;
        }
        if (meta) {
          finishMeta(); // a zero-length meta entry
          continue;
        }
        if (buf.length - off < BLOCK) break;
        header(buf.subarray(off, off + BLOCK));
        off += BLOCK;
      }
      pending = ended ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
    },
    end() {
      if (!ended && (remaining > 0 || pad > 0 || pending.length > 0 || meta))
        throw new TarFormatError('archive is truncated');
      if (!ended && zeroBlocks === 0) throw new TarFormatError('archive is truncated (no end-of-archive blocks)');
    },
  };
}
