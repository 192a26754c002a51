// Root integration tests for the build cache: RUN --mount=type=cache and apt's implicit cache on the
// debootstrap base (real builds, apt from Debian's mirror), --no-cache, locked sharing between two
// concurrent builds, and rmcache. A temp state root over the shared base cache.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { captureLog } from '../helpers/capture-log.ts';
import { internalPaths } from '../helpers/internals.ts';
import { makeTempRoot, uniqueName, waitFor } from '../helpers/temp-root.ts';
import { statePaths } from '../helpers/state-paths.ts';
import { buildImage, removeCache, type ImageInfo } from '../../sdk/index.ts';

const temp = makeTempRoot();
const root = temp.root;
const ctx = mkdtempSync('/tmp/conductor-test-ctx-');

test.after(async () => {
  await temp.cleanup();
  rmSync(ctx, { recursive: true, force: true });
});

async function build(source: string, opts: { noCache?: boolean; name?: string } = {}) {
  const file = path.join(ctx, `${uniqueName('cf')}.Conductorfile`);
  writeFileSync(file, source);
  const cap = captureLog();
  const img = await buildImage(opts.name ?? uniqueName('bc'), {
    root,
    file,
    context: ctx,
    noCache: opts.noCache,
    log: cap.log,
  });
  return { img, out: cap.text() };
}

/** Every file of an image's own layers, relative to the layer root. */
function layerFiles(img: ImageInfo): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const n of readdirSync(dir)) {
      const p = path.join(dir, n);
      out.push(path.join(rel, n));
      if (lstatSync(p).isDirectory()) walk(p, path.join(rel, n));
    }
  };
  for (const id of img.layers) walk(statePaths(root).layerDiff(id), '/');
  return out;
}

const apt = (packages: string) =>
  `FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends ${packages}\n`;
/** apt's "Need to get X of archives" (X "0 B/436 kB" when every package is in the cache). */
const needToGet = (out: string): string => /Need to get (.*) of archives/.exec(out)?.[1] ?? `(no line in ${out})`;

test('apt on the debootstrap base: a changed install line downloads nothing again; --no-cache does', async () => {
  const first = await build(apt('make libjansson4'));
  assert.not.match(needToGet(first.out), /^0 B\//, 'the first build downloads');
  // Reordered packages: a new RUN text, so a new layer, whose apt finds every .deb in the cache.
  const second = await build(apt('libjansson4 make'));
  assert.match(needToGet(second.out), /^0 B\//, 'the changed line downloads nothing');
  assert.not.equal(second.img.layers, first.img.layers);
  const fresh = await build(apt('libjansson4 make'), { noCache: true });
  assert.not.match(needToGet(fresh.out), /^0 B\//, '--no-cache downloads again');
  for (const b of [first, second, fresh]) {
    const debs = layerFiles(b.img).filter((f) => f.startsWith('/var/cache/apt'));
    assert.equal(debs, [], 'no apt cache in the layers');
  }
  const caches = readdirSync(internalPaths(root).buildCache).filter((n) => !n.endsWith('.lock'));
  assert.is(caches.length, 1);
  const archives = path.join(internalPaths(root).buildCache, caches[0]!, 'data', 'archives');
  assert.ok(
    readdirSync(archives).some((n) => /^make_.*\.deb$/.test(n)),
    'the .debs are in the build cache',
  );
});

test('RUN --mount=type=cache: the directory outlives the step, is in no layer, readonly is read-only', async () => {
  const id = uniqueName('c');
  const a = await build(`FROM debian:bookworm\nRUN --mount=type=cache,id=${id},target=/cache echo one > /cache/f\n`);
  assert.equal(
    layerFiles(a.img).filter((f) => f.startsWith('/cache/')),
    [],
  );
  const b = await build(
    `FROM debian:bookworm\nRUN --mount=type=cache,id=${id},target=/c,ro cat /c/f > /seen && ! touch /c/g\n`,
  );
  assert.is(readFileSync(statePaths(root).layerDiff(b.img.layers[0]!, 'seen'), 'utf8'), 'one\n');
  const c = await build(`FROM debian:bookworm\nRUN --mount=type=cache,id=${id},target=/c test ! -e /c/f\n`, {
    noCache: true,
  });
  assert.is(c.img.layers.length, 1, '--no-cache: an empty cache');
});

test('sharing=locked: a second build waits for the first; rmcache keeps a mounted cache, then removes it', async () => {
  const id = uniqueName('lk');
  const mount = `--mount=type=cache,id=${id},target=/c,sharing=locked`;
  const slow = build(
    `FROM debian:bookworm\nRUN ${mount} touch /c/started && while [ ! -e /c/go ]; do sleep 0.05; done && echo A >> /c/order\n`,
  );
  const caches = internalPaths(root).buildCache;
  const started = await waitFor(
    () => existsSync(caches) && readdirSync(caches).find((n) => existsSync(path.join(caches, n, 'data', 'started'))),
    60_000,
  );
  assert.ok(started, 'the first build is in its step');
  const data = path.join(caches, started, 'data');
  const cap = captureLog();
  const file = path.join(ctx, 'second.Conductorfile');
  writeFileSync(file, `FROM debian:bookworm\nRUN ${mount} echo B >> /c/order\n`);
  const second = buildImage(uniqueName('bc'), { root, file, context: ctx, log: cap.log });
  assert.ok(await waitFor(() => cap.text().includes(`waiting for the build cache "${id}"`), 60_000));
  const r = await removeCache({ root });
  assert.ok(r.kept.includes(`build cache "${id}": mounted by a running build`), r.kept.join('\n'));
  writeFileSync(path.join(data, 'go'), '');
  await Promise.all([slow, second]);
  assert.is(readFileSync(path.join(data, 'order'), 'utf8'), 'A\nB\n');
  const after = await removeCache({ root });
  assert.ok(after.removedBuildCaches.includes(id), after.removedBuildCaches.join(', '));
  assert.not.ok(existsSync(data));
});

test.run();
