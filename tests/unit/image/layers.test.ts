import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolvePaths } from '../../../sdk/config.ts';
import { layerKey } from '../../../sdk/image/layer-key.ts';
import {
  commitLayer,
  discardLayer,
  hashTree,
  layerDiff,
  listLayerIds,
  lowerdirs,
  readLayer,
  resolveLayer,
  removeStaleLayerTemps,
  startLayer,
  treeSize,
} from '../../../sdk/image/layers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'conductor-unit-layers-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function tree(): string {
  const d = path.join(tmp, `tree-${n++}`);
  mkdirSync(path.join(d, 'sub'), { recursive: true });
  writeFileSync(path.join(d, 'a.txt'), 'alpha\n');
  writeFileSync(path.join(d, 'sub', 'b.sh'), '#!/bin/sh\necho b\n', { mode: 0o755 });
  chmodSync(path.join(d, 'sub', 'b.sh'), 0o755);
  symlinkSync('../a.txt', path.join(d, 'sub', 'link'));
  return d;
}

test('layerKey is a deterministic sha256 hex', () => {
  const k = layerKey('base:debian-bookworm:t', 'RUN echo hi');
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.is(layerKey('base:debian-bookworm:t', 'RUN echo hi'), k);
  assert.is(layerKey('base:debian-bookworm:t', 'RUN echo hi', ''), k);
});

test('layerKey changes with parent, instruction and content hash', () => {
  const k = layerKey('p', 'COPY a /a', 'h1');
  const others = [
    layerKey('q', 'COPY a /a', 'h1'),
    layerKey('p', 'COPY a /b', 'h1'),
    layerKey('p', 'COPY a /a', 'h2'),
    layerKey('p', 'COPY a /a'),
  ];
  assert.is(new Set([k, ...others]).size, 5);
  // Fields are joined by '\n': unambiguous because keys and normalised instruction texts never contain one.
});

test('lowerdirs: top layer first, base rootfs last', () => {
  const paths = resolvePaths('/srv/c', { CONDUCTOR_CACHE: '/srv/cache' });
  assert.equal(lowerdirs(paths, '/srv/cache/base/debian-bookworm/rootfs', ['k1', 'k2', 'k3']), [
    '/srv/c/.layers/k3/diff',
    '/srv/c/.layers/k2/diff',
    '/srv/c/.layers/k1/diff',
    '/srv/cache/base/debian-bookworm/rootfs',
  ]);
  assert.equal(lowerdirs(paths, '/b', []), ['/b']);
  assert.is(layerDiff(paths, 'k1'), '/srv/c/.layers/k1/diff');
});

test('lowerdirs does not reorder its input', () => {
  const paths = resolvePaths('/r', { CONDUCTOR_CACHE: '/c' });
  const layers = ['a', 'b'];
  lowerdirs(paths, '/base', layers);
  assert.equal(layers, ['a', 'b']);
});

test('hashTree: identical trees hash alike; mtimes do not matter', () => {
  const a = tree();
  const b = tree();
  utimesSync(path.join(b, 'a.txt'), 1, 1);
  assert.is(hashTree(a), hashTree(b));
  assert.match(hashTree(a), /^[0-9a-f]{64}$/);
});

test('hashTree: content change changes the hash', () => {
  const a = tree();
  const h = hashTree(a);
  writeFileSync(path.join(a, 'a.txt'), 'alpha!\n');
  assert.is.not(hashTree(a), h);
});

test('hashTree: mode change changes the hash', () => {
  const a = tree();
  const h = hashTree(a);
  chmodSync(path.join(a, 'sub', 'b.sh'), 0o644);
  assert.is.not(hashTree(a), h);
  chmodSync(path.join(a, 'sub', 'b.sh'), 0o755);
  assert.is(hashTree(a), h);
});

test('hashTree: symlink target change changes the hash', () => {
  const a = tree();
  const h = hashTree(a);
  unlinkSync(path.join(a, 'sub', 'link'));
  symlinkSync('../b.txt', path.join(a, 'sub', 'link'));
  assert.is.not(hashTree(a), h);
});

test('hashTree: rename, new empty file and new empty dir change the hash', () => {
  const a = tree();
  const h0 = hashTree(a);
  writeFileSync(path.join(a, 'empty'), '');
  const h1 = hashTree(a);
  assert.is.not(h1, h0);
  mkdirSync(path.join(a, 'emptydir'));
  const h2 = hashTree(a);
  assert.is.not(h2, h1);
  const b = tree();
  writeFileSync(path.join(b, 'a2.txt'), 'alpha\n');
  unlinkSync(path.join(b, 'a.txt'));
  assert.is.not(hashTree(b), h0);
});

test('hashTree: a file and a symlink with the same bytes differ', () => {
  const a = path.join(tmp, 'fl-a');
  const b = path.join(tmp, 'fl-b');
  mkdirSync(a);
  mkdirSync(b);
  writeFileSync(path.join(a, 'x'), 'target');
  symlinkSync('target', path.join(b, 'x'));
  assert.is.not(hashTree(a), hashTree(b));
});

test('treeSize counts file bytes and link targets', () => {
  const a = tree();
  assert.is(treeSize(a), 'alpha\n'.length + '#!/bin/sh\necho b\n'.length + '../a.txt'.length);
  assert.is(treeSize(path.join(tmp, 'missing')), 0);
});

test('startLayer → commitLayer renames a complete layer into place', () => {
  const paths = resolvePaths(path.join(tmp, 'root-commit'), { CONDUCTOR_CACHE: path.join(tmp, 'cache') });
  const key = layerKey('p', 'RUN x');
  const p = startLayer(paths, key);
  assert.ok(path.basename(p.dir).startsWith(`.tmp-${key.slice(0, 16)}-${process.pid}-`));
  writeFileSync(path.join(p.diff, 'f'), '12345');
  const info = commitLayer(paths, p, { key, parent: 'p', instruction: 'RUN x', createdAt: 't' });
  assert.is(info.size, 5);
  assert.ok(info.id.startsWith(key.slice(0, 40)), info.id);
  assert.equal(readLayer(paths, info.id), info);
  assert.is(resolveLayer(paths, key), info.id);
  assert.equal(listLayerIds(paths), [info.id]);
  assert.equal(readdirSync(path.join(paths.layers, info.id)).sort(), ['diff', 'layer.json']);
  assert.not.ok(existsSync(p.dir));
});

test('committing a key again (--no-cache) makes a new directory and repoints the key; the old one stays', () => {
  const paths = resolvePaths(path.join(tmp, 'root-recommit'), { CONDUCTOR_CACHE: path.join(tmp, 'cache') });
  const key = layerKey('p', 'RUN date > /t');
  const a = startLayer(paths, key);
  writeFileSync(path.join(a.diff, 't'), 'one');
  const one = commitLayer(paths, a, { key, parent: 'p', instruction: 'RUN date > /t', createdAt: 't1' });
  const b = startLayer(paths, key);
  writeFileSync(path.join(b.diff, 't'), 'two');
  const two = commitLayer(paths, b, { key, parent: 'p', instruction: 'RUN date > /t', createdAt: 't2' });
  assert.is.not(one.id, two.id);
  assert.is(resolveLayer(paths, key), two.id);
  assert.is(readFileSync(path.join(layerDiff(paths, one.id), 't'), 'utf8'), 'one', 'the old layer is untouched');
  assert.is(readFileSync(path.join(layerDiff(paths, two.id), 't'), 'utf8'), 'two');
  assert.equal(listLayerIds(paths).sort(), [one.id, two.id].sort());
});

test('a layer made before ids existed (directory named by its key, no index entry) still resolves', () => {
  const paths = resolvePaths(path.join(tmp, 'root-legacy'), { CONDUCTOR_CACHE: path.join(tmp, 'cache') });
  const key = layerKey('p', 'RUN old');
  mkdirSync(path.join(paths.layers, key, 'diff'), { recursive: true });
  writeFileSync(
    path.join(paths.layers, key, 'layer.json'),
    JSON.stringify({ key, parent: 'p', instruction: 'RUN old', createdAt: 't', size: 0 }),
  );
  assert.is(resolveLayer(paths, key), key);
  assert.is(resolveLayer(paths, layerKey('p', 'RUN other')), null);
});

test('discardLayer removes the temp dir; listLayerIds ignores temps', () => {
  const paths = resolvePaths(path.join(tmp, 'root-discard'), { CONDUCTOR_CACHE: path.join(tmp, 'cache') });
  assert.equal(listLayerIds(paths), []);
  const p = startLayer(paths, layerKey('p', 'RUN y'));
  assert.equal(listLayerIds(paths), []);
  discardLayer(p);
  assert.not.ok(existsSync(p.dir));
  assert.equal(readdirSync(paths.layers), []);
});

test('removeStaleLayerTemps removes temps of dead builders only', () => {
  const paths = resolvePaths(path.join(tmp, 'root-stale'), { CONDUCTOR_CACHE: path.join(tmp, 'cache') });
  const dead = `.tmp-0123456789abcdef-999999999-1`;
  const live = `.tmp-0123456789abcdef-${process.pid}-2`;
  const other = '.tmp-not-a-layer';
  for (const d of [dead, live, other, 'abc']) mkdirSync(path.join(paths.layers, d), { recursive: true });
  removeStaleLayerTemps(paths);
  assert.equal(readdirSync(paths.layers).sort(), [live, other, 'abc'].sort());
  removeStaleLayerTemps(resolvePaths(path.join(tmp, 'no-such-root'), { CONDUCTOR_CACHE: '/c' })); // no throw
});

test.run();
