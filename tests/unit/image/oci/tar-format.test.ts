import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createTarParser,
  encodeHeader,
  endOfArchive,
  padding,
  type TarEntry,
} from '../../../../sdk/image/oci/tar-format.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'conductor-unit-tar-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

function archive(entries: { e: TarEntry; data?: string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const { e, data } of entries) {
    parts.push(encodeHeader(e));
    if (data) parts.push(Buffer.from(data), Buffer.alloc(padding(data.length)));
  }
  parts.push(endOfArchive());
  return Buffer.concat(parts);
}

function parse(b: Buffer, chunk = 7): { entries: TarEntry[]; data: string[] } {
  const entries: TarEntry[] = [];
  const data: string[] = [];
  const p = createTarParser({
    entry: (e) => (entries.push(e), data.push('')),
    data: (c) => (data[data.length - 1] += c.toString()),
  });
  for (let i = 0; i < b.length; i += chunk) p.push(b.subarray(i, i + chunk));
  p.end();
  return { entries, data };
}

const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1700000000 };
const long = 'd/'.repeat(80) + 'file';

test('encode → parse round-trips files, dirs, links, long names, big ids and xattrs, in any chunking', () => {
  const caps = Buffer.from([1, 0, 0, 2, 0, 0x20, 0, 0]);
  const es: { e: TarEntry; data?: string }[] = [
    { e: { ...base, path: 'etc', type: 'dir', mode: 0o755 } },
    { e: { ...base, path: 'etc/motd', type: 'file', size: 3, uid: 42, gid: 42 }, data: 'hi\n' },
    { e: { ...base, path: 'etc/link', type: 'symlink', linkname: '/etc/motd' } },
    { e: { ...base, path: 'etc/hard', type: 'hardlink', linkname: 'etc/motd' } },
    {
      e: { ...base, path: long, type: 'file', size: 1, uid: 3000000, xattrs: { 'security.capability': caps } },
      data: 'x',
    },
  ];
  for (const chunk of [1, 7, 512, 100000]) {
    const got = parse(archive(es), chunk);
    assert.equal(
      got.entries.map((e) => e.path),
      ['etc', 'etc/motd', 'etc/link', 'etc/hard', long].map((p, i) => (i === 0 ? 'etc/' : p)),
    );
    assert.is(got.entries[1]!.uid, 42);
    assert.is(got.entries[2]!.linkname, '/etc/motd');
    assert.is(got.entries[3]!.type, 'hardlink');
    assert.is(got.entries[4]!.uid, 3000000);
    assert.equal(got.entries[4]!.xattrs?.['security.capability'], caps);
    assert.equal(got.data, ['', 'hi\n', '', '', 'x']);
  }
});

test('GNU tar reads what the encoder writes (names, owners, link targets, the long name)', () => {
  const f = path.join(tmp, 'a.tar');
  writeFileSync(
    f,
    archive([
      { e: { ...base, path: 'a', type: 'dir', mode: 0o755 } },
      { e: { ...base, path: 'a/f', type: 'file', size: 2, uid: 42, gid: 7 }, data: 'ok' },
      { e: { ...base, path: 'a/l', type: 'symlink', linkname: 'f' } },
      { e: { ...base, path: long, type: 'file', size: 1 }, data: 'x' },
    ]),
  );
  const r = spawnSync('tar', ['-tvf', f, '--numeric-owner'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /-rw-r--r-- 42\/7 +2 .* a\/f/);
  assert.match(r.stdout, 'a/l -> f');
  assert.match(r.stdout, long);
});

test('the same entries always encode to the same bytes (no clock, no user names)', () => {
  const e: TarEntry = { ...base, path: 'x', type: 'file', size: 0, uid: 1000 };
  assert.equal(encodeHeader(e), encodeHeader({ ...e }));
  assert.is(encodeHeader(e).subarray(265, 297).toString().replace(/\0/g, ''), '', 'uname is empty');
});

test('corrupt, truncated and unsupported archives are refused', () => {
  const good = archive([{ e: { ...base, path: 'f', type: 'file', size: 2 }, data: 'ok' }]);
  const bad = Buffer.from(good);
  bad[10] = 0x41; // breaks the checksum
  assert.throws(() => parse(bad), /checksum/);
  assert.throws(() => parse(good.subarray(0, 700)), /truncated/);
  const sparse = Buffer.from(good);
  sparse[156] = 'S'.charCodeAt(0);
  let sum = 0;
  sparse.fill(' ', 148, 156);
  for (let i = 0; i < 512; i++) sum += sparse[i]!;
  sparse.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  assert.throws(() => parse(sparse), /unsupported entry type/);
});

test('a PAX key that GNU tar would honour differently (GNU.sparse.name) is refused', () => {
  const rec = (k: string, v: string) => {
    const body = ` ${k}=${v}\n`;
    let n = body.length + 2;
    while (String(n).length + body.length !== n) n = String(n).length + body.length;
    return `${n}${body}`;
  };
  const pax = Buffer.from(rec('GNU.sparse.name', '../../evil'));
  const head = encodeHeader({ ...base, path: 'PaxHeaders/f', type: 'file', size: pax.length });
  head[156] = 'x'.charCodeAt(0);
  head.fill(' ', 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += head[i]!;
  head.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const b = Buffer.concat([
    head,
    pax,
    Buffer.alloc(padding(pax.length)),
    archive([{ e: { ...base, path: 'f', type: 'file', size: 0 } }]),
  ]);
  assert.throws(() => parse(b), /unsupported pax header key "GNU.sparse.name"/);
});

test.run();
