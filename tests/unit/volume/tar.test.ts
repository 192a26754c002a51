/** The host side of cp: conductor's tar writer, and its unpacker fed hostile streams (no root needed). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { entryHeader, packHostPath, type TarEntry } from '../../../sdk/volume/tar-write.ts';
import { mapEntryName, unpackToHost } from '../../../sdk/volume/tar-read.ts';
import { isConductorError } from '../../../sdk/errors.ts';

const tmp = () => mkdtempSync('/tmp/conductor-unit-tar-');
const base: Omit<TarEntry, 'name' | 'type'> = { mode: 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, size: 0 };

/** A raw archive: entries with optional contents, then the end blocks. */
function archive(...items: Array<[Partial<TarEntry> & { name: string }, string?]>): Buffer {
  const parts: Buffer[] = [];
  for (const [e, body] of items) {
    const data = Buffer.from(body ?? '');
    parts.push(
      entryHeader({ ...base, type: 'file', ...e, size: data.length }),
      data,
      Buffer.alloc((512 - (data.length % 512)) % 512),
    );
  }
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

/** Change an entry's type flag to one the writer never makes (devices), fixing the checksum. */
function retype(h: Buffer, flag: string): Buffer {
  h.write(flag, 156, 'ascii');
  h.write('        ', 148, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return h;
}

async function refused(buf: Buffer, dest: string, top = 'd', re?: RegExp): Promise<void> {
  try {
    await unpackToHost(Readable.from([buf]), dest, { top, as: top });
  } catch (e) {
    assert.ok(isConductorError(e, 'INVALID_ARGUMENT'), String(e));
    if (re) assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable('expected a refusal');
}

test('entry names map under the destination, or are refused', () => {
  assert.equal(mapEntryName('d/a/b', 'd', 'd'), ['d', 'a', 'b']);
  assert.equal(mapEntryName('./d/a', 'd', 'renamed'), ['renamed', 'a']);
  assert.equal(mapEntryName('./', '.', '.'), []);
  assert.equal(mapEntryName('./x/y', '.', 'out'), ['out', 'x', 'y']);
  for (const bad of ['/etc/passwd', 'd/../../x', '../d', 'other/x', 'dd/x', '']) {
    assert.throws(
      () => mapEntryName(bad, 'd', 'd'),
      (e: unknown) => isConductorError(e, 'INVALID_ARGUMENT'),
      bad,
    );
  }
});

test('round trip: GNU tar reads what the writer packs; the unpacker restores modes, links, long names', async () => {
  const src = tmp();
  const out = tmp();
  try {
    const long = 'n'.repeat(150);
    mkdirSync(path.join(src, 'd', 'sub', long), { recursive: true });
    writeFileSync(path.join(src, 'd', 'a'), 'alpha');
    chmodSync(path.join(src, 'd', 'a'), 0o640);
    writeFileSync(path.join(src, 'd', 'sub', long, 'f'), 'x'.repeat(70_000));
    symlinkSync('../a', path.join(src, 'd', 'sub', 'l'));
    spawnSync('ln', [path.join(src, 'd', 'a'), path.join(src, 'd', 'hard')]);
    chmodSync(path.join(src, 'd', 'sub'), 0o750);
    const tarball = await buffer(packHostPath(path.join(src, 'd'), 'd'));
    const list = spawnSync('tar', ['-t'], { input: tarball, encoding: 'utf8' });
    assert.is(list.status, 0, list.stderr);
    assert.ok(list.stdout.includes(`d/sub/${long}/f`), list.stdout);
    await unpackToHost(Readable.from([tarball]), out, { top: 'd', as: 'copy' });
    assert.is(readFileSync(path.join(out, 'copy', 'a'), 'utf8'), 'alpha');
    assert.is(statSync(path.join(out, 'copy', 'a')).mode & 0o7777, 0o640);
    assert.is(statSync(path.join(out, 'copy', 'sub')).mode & 0o7777, 0o750);
    assert.is(readFileSync(path.join(out, 'copy', 'sub', long, 'f'), 'utf8').length, 70_000);
    assert.is(readlinkSync(path.join(out, 'copy', 'sub', 'l')), '../a');
    assert.is(statSync(path.join(out, 'copy', 'hard')).ino, statSync(path.join(out, 'copy', 'a')).ino);
    assert.is(
      statSync(path.join(out, 'copy', 'a')).mtimeMs,
      statSync(path.join(src, 'd', 'a')).mtimeMs - (statSync(path.join(src, 'd', 'a')).mtimeMs % 1000),
    );
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test('hostile streams: absolute names, "..", names outside the copied path', async () => {
  const dest = tmp();
  try {
    await refused(archive([{ name: '/tmp/conductor-unit-abs' }, 'x']), dest, 'd', /absolute/);
    await refused(archive([{ name: 'd/../../escaped' }, 'x']), dest, 'd', /\.\./);
    await refused(archive([{ name: 'd', type: 'dir' }], [{ name: 'elsewhere' }, 'x']), dest, 'd', /outside/);
    assert.not.ok(existsSync('/tmp/conductor-unit-abs'));
    assert.not.ok(existsSync(path.join(path.dirname(dest), 'escaped')));
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test('hostile streams: nothing is written through a symlink the stream made (or one already there)', async () => {
  const dest = tmp();
  const outside = tmp();
  try {
    await refused(
      archive(
        [{ name: 'd', type: 'dir' }],
        [{ name: 'd/l', type: 'symlink', linkname: outside }],
        [{ name: 'd/l/pwned' }, 'x'],
      ),
      dest,
      'd',
      /symlink/,
    );
    assert.not.ok(existsSync(path.join(outside, 'pwned')));
    // A symlink entry over an existing file replaces the file; a file over a symlink replaces the link.
    writeFileSync(path.join(outside, 'victim'), 'host');
    symlinkSync(path.join(outside, 'victim'), path.join(dest, 'd', 'v'));
    await unpackToHost(Readable.from([archive([{ name: 'd/v' }, 'container'])]), dest, { top: 'd', as: 'd' });
    assert.is(readFileSync(path.join(outside, 'victim'), 'utf8'), 'host');
    assert.ok(lstatSync(path.join(dest, 'd', 'v')).isFile());
  } finally {
    rmSync(dest, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('hostile streams: hard links only to files this copy wrote', async () => {
  const dest = tmp();
  try {
    writeFileSync(path.join(dest, 'host-secret'), 'secret');
    await refused(
      archive([{ name: 'd', type: 'dir' }], [{ name: 'd/h', type: 'hardlink', linkname: 'd/../host-secret' }]),
      dest,
      'd',
    );
    mkdirSync(path.join(dest, 'd'), { recursive: true });
    writeFileSync(path.join(dest, 'd', 'pre'), 'pre-existing');
    await refused(archive([{ name: 'd/h', type: 'hardlink', linkname: 'd/pre' }]), dest, 'd', /did not write/);
    assert.not.ok(existsSync(path.join(dest, 'd', 'h')));
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test('hostile streams: set-id bits dropped, device nodes and fifos skipped, bad checksums refused', async () => {
  const dest = tmp();
  try {
    const dev = retype(entryHeader({ ...base, name: 'd/sda', type: 'file' }), '3');
    const fifo = retype(entryHeader({ ...base, name: 'd/fifo', type: 'file' }), '6');
    const warned: string[] = [];
    const buf = Buffer.concat([
      archive([{ name: 'd', type: 'dir' }], [{ name: 'd/suid', mode: 0o6755 }, '#!/bin/sh']).subarray(0, -1024),
      dev,
      fifo,
      Buffer.alloc(1024),
    ]);
    await unpackToHost(Readable.from([buf]), dest, { top: 'd', as: 'd', warn: (m) => warned.push(m) });
    assert.is(statSync(path.join(dest, 'd', 'suid')).mode & 0o7777, 0o755);
    assert.not.ok(existsSync(path.join(dest, 'd', 'sda')));
    assert.not.ok(existsSync(path.join(dest, 'd', 'fifo')));
    assert.is(warned.length, 2);
    const corrupt = archive([{ name: 'd/x' }, 'x']);
    corrupt[0] = 'e'.charCodeAt(0);
    await refused(corrupt, dest, 'd', /checksum/);
  } finally {
    rmSync(dest, { recursive: true, force: true });
  }
});

test.run();
