import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entryPath, layerChecker } from '../../../../sdk/image/oci/entry-rules.ts';
import { layerMarker, upperKind, keptXattrs, whiteoutFor } from '../../../../sdk/image/oci/whiteouts.ts';
import type { TarEntry } from '../../../../sdk/image/oci/tar-format.ts';
import { isConductorError } from '../../../../sdk/errors.ts';

const f = (path: string, extra: Partial<TarEntry> = {}): TarEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
  ...extra,
});

function refused(entries: TarEntry[], pattern: RegExp): void {
  const c = layerChecker('layer 1 of "x.tar"');
  try {
    for (const e of entries) c.check(e, e.path);
  } catch (e) {
    assert.ok(isConductorError(e, 'INVALID_ARCHIVE'), String(e));
    assert.match((e as Error).message, pattern);
    assert.match((e as Error).message, /^layer 1 of "x.tar": /);
    return;
  }
  assert.unreachable(`accepted ${entries.map((e) => e.path).join(', ')}`);
}

function accepted(entries: TarEntry[]): void {
  const c = layerChecker('l');
  for (const e of entries) c.check(e, e.path);
}

test('entryPath normalises ./ and trailing slashes and refuses .., absolute names and NUL', () => {
  assert.is(entryPath('./usr/bin/', 'l'), 'usr/bin');
  assert.is(entryPath('./', 'l'), '');
  assert.is(entryPath('a//b/./c', 'l'), 'a/b/c');
  assert.throws(() => entryPath('../etc/passwd', 'l'), /climbs out/);
  assert.throws(() => entryPath('a/../../b', 'l'), /climbs out/);
  assert.throws(() => entryPath('/etc/passwd', 'l'), /absolute/);
  assert.throws(() => entryPath('a\0b', 'l'), /NUL/);
});

const anOrdinaryLayerPasses =
  'an ordinary layer passes: dirs, files, absolute and relative symlinks, hard links to earlier files, whiteouts';
test(anOrdinaryLayerPasses, () => {
  accepted([
    f('./', { type: 'dir' }),
    f('etc', { type: 'dir' }),
    f('etc/motd'),
    f('etc/alternatives/x', { type: 'symlink', linkname: '/usr/bin/y' }),
    f('etc/rel', { type: 'symlink', linkname: '../../../../x' }),
    f('etc/hard', { type: 'hardlink', linkname: 'etc/motd' }),
    f('etc/.wh.old'),
    f('var/.wh..wh..opq'),
    f('usr/bin/ping', { xattrs: {} }),
    f('p', { type: 'fifo' }),
  ]);
});

test('an entry through a symlink of the same layer (absolute or relative) is refused', () => {
  refused(
    [f('etc', { type: 'symlink', linkname: '/etc' }), f('etc/passwd')],
    /goes through "etc", which is a symbolic link/,
  );
  refused([f('a', { type: 'symlink', linkname: '../../..' }), f('a/b/c')], /goes through "a"/);
  refused([f('a'), f('a/b')], /goes through "a", which is a file/);
});

test('device nodes, duplicates, hard links out of the layer and directory replacements are refused', () => {
  refused([f('dev/sda', { type: 'block', devmajor: 8, devminor: 0 })], /device node/);
  refused([f('null', { type: 'char', devmajor: 1, devminor: 3 })], /device node/);
  refused([f('a'), f('./a')], /appears twice/);
  refused([f('h', { type: 'hardlink', linkname: '/etc/shadow' })], /absolute path/);
  refused([f('h', { type: 'hardlink', linkname: '../x' })], /climbing out/);
  refused([f('h', { type: 'hardlink', linkname: 'not/here' })], /not an earlier regular file/);
  refused([f('d/x'), f('d')], /replaces a directory/);
  refused([f('etc/motd'), f('etc/.wh.motd')], /deletes "etc\/motd", which the same layer adds/);
  refused([f('.wh.', {})], /not a valid whiteout/);
  refused([f('.wh.x', { type: 'dir' })], /whiteout that is not a regular file/);
});

test('whiteouts: overlay → OCI (0/0 char device, opaque xattr) and OCI → overlay', () => {
  assert.is(upperKind('a/b', { type: 'char', rdevMajor: 0, rdevMinor: 0 }, {}), 'whiteout');
  assert.is(upperKind('a/b', { type: 'char', rdevMajor: 1, rdevMinor: 3 }, {}), 'plain');
  assert.is(
    upperKind('d', { type: 'dir', rdevMajor: 0, rdevMinor: 0 }, { 'trusted.overlay.opaque': Buffer.from('y') }),
    'opaque-dir',
  );
  assert.is(
    upperKind('d', { type: 'dir', rdevMajor: 0, rdevMinor: 0 }, { 'trusted.overlay.opaque': Buffer.from('x') }),
    'plain',
  );
  assert.throws(
    () =>
      upperKind('d', { type: 'dir', rdevMajor: 0, rdevMinor: 0 }, { 'trusted.overlay.redirect': Buffer.from('/x') }),
    /redirect_dir/,
  );
  assert.throws(
    () => upperKind('f', { type: 'file', rdevMajor: 0, rdevMinor: 0 }, { 'trusted.overlay.metacopy': Buffer.alloc(0) }),
    /metacopy/,
  );
  assert.is(whiteoutFor('a/b'), 'a/.wh.b');
  assert.is(whiteoutFor('b'), '.wh.b');
  assert.equal(layerMarker('etc/.wh.motd'), { kind: 'whiteout', target: 'etc/motd' });
  assert.equal(layerMarker('var/.wh..wh..opq'), { kind: 'opaque', dir: 'var' });
  assert.is(layerMarker('etc/motd'), null);
  const caps = Buffer.from([1]);
  assert.equal(
    Object.keys(
      keptXattrs({
        'trusted.overlay.origin': caps,
        'security.capability': caps,
        'security.selinux': caps,
        'user.k': caps,
        'user.overlay.opaque': caps,
      }),
    ),
    ['security.capability', 'user.k'],
  );
});

test.run();
