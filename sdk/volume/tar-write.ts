/**
 * A tar stream (POSIX ustar, pax records for long names) of a HOST path, written by conductor
 * itself: the host side of `cp` into a container reads host files with conductor's own code, and
 * only this stream reaches the container (whose own tar unpacks it, confined). Symlinks are
 * archived as links, never followed; sockets and device nodes are left out.
 */
import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  linkname?: string;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

const TYPEFLAG: Record<TarEntry['type'], string> = { file: '0', hardlink: '1', symlink: '2', dir: '5' };

function header(
  name: string,
  e: { type: string; mode: number; uid: number; gid: number; mtime: number; size: number; linkname?: string },
): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(e.uid, 8), 108, 'ascii');
  h.write(octal(e.gid, 8), 116, 'ascii');
  h.write(octal(e.size, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(e.mtime)), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(e.type, 156, 'ascii');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** The header block(s) of one entry: a pax header first when a name or link does not fit ustar. */
export function entryHeader(e: TarEntry): Buffer {
  const long = (s: string | undefined) => s !== undefined && (Buffer.byteLength(s) > 99 || /[^\x20-\x7e]/.test(s));
  const big = e.size > 0o77777777777 || e.uid > 0o7777777 || e.gid > 0o7777777;
  const fields = {
    type: TYPEFLAG[e.type],
    mode: e.mode,
    uid: Math.min(e.uid, 0o7777777),
    gid: Math.min(e.gid, 0o7777777),
    mtime: e.mtime,
    size: Math.min(e.size, 0o77777777777),
    linkname: e.linkname,
  };
  if (!long(e.name) && !long(e.linkname) && !big) return header(e.name, fields);
  let pax = '';
  if (long(e.name)) pax += paxRecord('path', e.name);
  if (long(e.linkname)) pax += paxRecord('linkpath', e.linkname!);
  if (big) pax += paxRecord('size', String(e.size)) + paxRecord('uid', String(e.uid)) + paxRecord('gid', String(e.gid));
  const body = Buffer.from(pax, 'utf8');
  const ph = header('PaxHeader', { type: 'x', mode: 0o644, uid: 0, gid: 0, mtime: e.mtime, size: body.length });
  return Buffer.concat([
    ph,
    body,
    pad(body.length),
    header(e.name.slice(0, 99), { ...fields, linkname: e.linkname?.slice(0, 99) }),
  ]);
}

export interface PackOptions {
  /** Keep the host's owners (`cp -a`); otherwise every entry is root's, as `docker cp` does. */
  keepOwners?: boolean;
}

/**
 * Pack host path `src` under the archive name `name` (its top entry), recursively.
 * @example packHostPath('/srv/site', 'www').pipe(containerTarStdin)
 */
export function packHostPath(src: string, name: string, opts: PackOptions = {}): Readable {
  return Readable.from(entries(src, name, opts));
}

async function* entries(src: string, top: string, opts: PackOptions): AsyncGenerator<Buffer> {
  const inodes = new Map<string, string>();
  const owner = (st: Stats) => (opts.keepOwners ? { uid: st.uid, gid: st.gid } : { uid: 0, gid: 0 });
  async function* walk(host: string, name: string): AsyncGenerator<Buffer> {
    const st = lstatSync(host);
    const base = { name, mode: st.mode, ...owner(st), mtime: st.mtimeMs / 1000, size: 0 };
    if (st.isSymbolicLink()) {
      yield entryHeader({ ...base, type: 'symlink', linkname: readlinkSync(host) });
    } else if (st.isDirectory()) {
      yield entryHeader({ ...base, name: `${name}/`, type: 'dir' });
      for (const child of readdirSync(host).sort()) yield* walk(path.join(host, child), `${name}/${child}`);
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? inodes.get(key) : undefined;
      if (first !== undefined) {
        yield entryHeader({ ...base, type: 'hardlink', linkname: first });
        return;
      }
      if (st.nlink > 1) inodes.set(key, name);
      const fh = await open(host, 'r');
      try {
        // The size in the header is what we send, whatever the file does meanwhile.
        yield entryHeader({ ...base, type: 'file', size: st.size });
        let left = st.size;
        while (left > 0) {
          const buf = Buffer.alloc(Math.min(left, 1 << 20));
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) {
            yield Buffer.alloc(left); // shrank: pad with zeros
            break;
          }
          yield buf.subarray(0, bytesRead);
          left -= bytesRead;
        }
        yield pad(st.size);
      } finally {
        await fh.close();
      }
    }
    // Sockets, fifos and device nodes: not copied.
  }
  yield* walk(src, top);
  yield Buffer.alloc(1024);
}
