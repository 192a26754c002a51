// Root integration tests for buildImage / images / removeImage / removeCache: real overlayfs builds
// in a temp state root over the shared base cache (CONDUCTOR_CACHE, set by tests/run.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureLog } from '../helpers/capture-log.ts';
import {
  cmdlineOf,
  diffHost,
  findProcesses,
  makeTempRoot,
  snapshotHost,
  mountLinesMentioning,
  uniqueName,
  useSharedCache,
  waitFor,
  type TempRoot,
} from '../helpers/temp-root.ts';
import {
  buildImage,
  BuildError,
  ConductorError,
  isConductorError,
  type ErrorCode,
  images,
  removeCache,
  removeImage,
  type ImageInfo,
} from '../../sdk/index.ts';
import { statePaths } from '../helpers/state-paths.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUILD_CHILD = path.join(HERE, '..', 'helpers', 'build-child.ts');
const SHARED_CACHE = useSharedCache();
const hostBefore = snapshotHost();

const roots: TempRoot[] = [];
function newRoot(): string {
  const r = makeTempRoot();
  roots.push(r);
  return r.root;
}
const ctxParent = mkdtempSync('/tmp/conductor-test-ctx-');
const root = newRoot();

test.after(async () => {
  for (const r of roots) await r.cleanup();
  rmSync(ctxParent, { recursive: true, force: true });
});

type Entry = string | { content: string; mode: number } | { symlink: string } | { dir: true };

/** A fresh build context with these files; `Conductorfile` is one of them. */
function makeContext(files: Record<string, Entry>): string {
  const dir = mkdtempSync(path.join(ctxParent, 'ctx-'));
  for (const [rel, e] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    if (typeof e === 'string') writeFileSync(p, e);
    else if ('symlink' in e) symlinkSync(e.symlink, p);
    else if ('dir' in e) mkdirSync(p, { recursive: true });
    else {
      writeFileSync(p, e.content);
      chmodSync(p, e.mode);
    }
  }
  return dir;
}

interface Built {
  img: ImageInfo;
  log: string;
  ms: number;
}

async function build(name: string, context: string, r = root): Promise<Built> {
  const cap = captureLog();
  const t0 = performance.now();
  try {
    const img = await buildImage(name, { root: r, file: path.join(context, 'Conductorfile'), context, log: cap.log });
    return { img, log: cap.text(), ms: performance.now() - t0 };
  } catch (e) {
    if (e instanceof Error) e.message += `\n--- build log ---\n${cap.text()}`;
    throw e;
  }
}

/** The build's error (a ConductorError), failing the test if it succeeds. */
async function buildFails(name: string, context: string, r = root): Promise<ConductorError> {
  try {
    await buildImage(name, { root: r, file: path.join(context, 'Conductorfile'), context, log: captureLog().log });
  } catch (e) {
    assert.instance(e, ConductorError, `expected a ConductorError, got ${String(e)}`);
    return e as ConductorError;
  }
  return assert.unreachable(`build of "${name}" succeeded`) as never;
}

const diff = (r: string, key: string, rel = '') => statePaths(r).layerDiff(key, rel);
const layerNames = (r: string) => (existsSync(statePaths(r).layers) ? readdirSync(statePaths(r).layers).sort() : []);
const tmpLayers = (r: string) => layerNames(r).filter((n) => n.startsWith('.tmp-'));
const usingCache = (log: string) => (log.match(/ ---> Using cache/g) ?? []).length;
const ms = (n: number) => `${n.toFixed(0)} ms`;

/** Snapshot of what a failed build must not change. */
async function stateOf(r: string): Promise<string> {
  return JSON.stringify({ images: (await images({ root: r })).map((i) => [i.name, i.layers]), layers: layerNames(r) });
}

function assertNoMounts(r: string): void {
  assert.equal(mountLinesMentioning(r), [], `mounts left under ${r}`);
}

// ── a real build ────────────────────────────────

const APP = {
  Conductorfile: [
    'FROM debian:bookworm',
    'COPY app/ /opt/app/',
    'COPY hello.txt /etc/hello.txt',
    'RUN sh /opt/app/main.sh > /run-result && cat /etc/hello.txt >> /run-result',
    '',
  ].join('\n'),
  'app/main.sh': { content: '#!/bin/sh\necho "main ran in $(cat /etc/debian_version | cut -d. -f1)"\n', mode: 0o755 },
  'app/lib/util.txt': 'util\n',
  'hello.txt': 'hello v1\n',
};
const appCtx = makeContext(APP);
let first: Built;

test('FROM/COPY/RUN builds; COPYed files and RUN results are in the layers', async () => {
  first = await build('app', appCtx);
  console.log(`  first build: ${ms(first.ms)}`);
  const { img } = first;
  assert.is(img.name, 'app');
  assert.equal(img.base, { distro: 'debian', suite: 'bookworm' });
  assert.is(img.layers.length, 3);
  assert.match(first.log, /Step 4\/4 : RUN sh \/opt\/app\/main.sh/);
  assert.match(first.log, /Successfully built image "app"/);
  const [copyApp, copyHello, run] = img.layers as [string, string, string];
  assert.is(readFileSync(diff(root, copyApp, 'opt/app/main.sh'), 'utf8'), APP['app/main.sh'].content);
  assert.is(statSync(diff(root, copyApp, 'opt/app/main.sh')).mode & 0o7777, 0o755, 'mode kept');
  assert.is(readFileSync(diff(root, copyApp, 'opt/app/lib/util.txt'), 'utf8'), 'util\n');
  assert.is(readFileSync(diff(root, copyHello, 'etc/hello.txt'), 'utf8'), 'hello v1\n');
  assert.not.ok(existsSync(diff(root, copyHello, 'opt/app')), 'a layer holds only its own changes');
  assert.is(readFileSync(diff(root, run, 'run-result'), 'utf8'), 'main ran in 12\nhello v1\n');
  const listed = await images({ root });
  assert.equal(
    listed.map((i) => i.name),
    ['app'],
  );
  assert.equal(listed[0]!.layers, img.layers);
  assert.ok(img.size > 0);
  assert.equal(tmpLayers(root), []);
  assertNoMounts(root);
});

test('a committed layer dir holds only diff/ and layer.json (no build scaffolding)', () => {
  for (const k of first.img.layers) {
    assert.equal(readdirSync(path.join(statePaths(root).layers, k)).sort(), ['diff', 'layer.json'], `layer ${k}`);
  }
});

test('an unchanged rebuild takes every step from the cache', async () => {
  const again = await build('app', appCtx);
  console.log(`  cached rebuild: ${ms(again.ms)}`);
  assert.is(usingCache(again.log), 3, again.log);
  assert.not.match(again.log, / ---> [0-9a-f]{12}/);
  assert.equal(again.img.layers, first.img.layers);
  assert.is(again.img.createdAt, first.img.createdAt, 'same layers: same image');
});

test('changing a COPYed file rebuilds from that step on', async () => {
  writeFileSync(path.join(appCtx, 'hello.txt'), 'hello v2\n');
  try {
    const changed = await build('app', appCtx);
    console.log(`  rebuild after change: ${ms(changed.ms)}`);
    const [a, b, c] = changed.img.layers;
    assert.is(a, first.img.layers[0], 'layer before the change is identical');
    assert.is.not(b, first.img.layers[1]);
    assert.is.not(c, first.img.layers[2]);
    assert.is(usingCache(changed.log), 1, changed.log);
    assert.is(readFileSync(diff(root, c!, 'run-result'), 'utf8'), 'main ran in 12\nhello v2\n');
    // Only a content change counts: touching the file (same bytes) keeps the cache.
    writeFileSync(path.join(appCtx, 'hello.txt'), 'hello v2\n');
    assert.is(usingCache((await build('app', appCtx)).log), 3);
  } finally {
    writeFileSync(path.join(appCtx, 'hello.txt'), 'hello v1\n');
  }
});

test('a 1 KB COPY image adds well under 1 MB on disk', async () => {
  const ctx = makeContext({
    Conductorfile: 'FROM debian:bookworm\nCOPY blob.bin /blob.bin\n',
    'blob.bin': randomBytes(512).toString('hex'),
  });
  const { img } = await build('small', ctx);
  const dirs = img.layers.map((k) => path.join(statePaths(root).layers, k));
  const du = spawnSync('du', ['-sk', '--total', ...dirs], { encoding: 'utf8' });
  const kb = Number(/^(\d+)\s+total$/m.exec(du.stdout)![1]);
  console.log(`  1 KB image: ${kb} KB on disk, image size ${img.size} B`);
  assert.ok(kb < 1024, `${kb} KB`);
  assert.ok(img.size < 4096, `size ${img.size}`);
  assert.is(statSync(diff(root, img.layers[0]!, 'blob.bin')).size, 1024);
});

// ── COPY semantics ───────────────────────────────

test('.conductorignore excludes files and directories', async () => {
  const ctx = makeContext({
    Conductorfile: 'FROM debian:bookworm\nCOPY . /app/\nCOPY *.txt /txt/\n',
    '.conductorignore': '# secrets and junk\n*.env\n**/*.secret\nlogs\nnode_modules/\nskip.txt\n',
    'keep.txt': 'keep\n',
    'skip.txt': 'skip\n',
    'secret.env': 'TOKEN=1\n',
    'sub/deep.env': 'TOKEN=2\n',
    'sub/deep.secret': 'TOKEN=3\n',
    'sub/ok.md': 'ok\n',
    'logs/a.log': 'log\n',
    'node_modules/x/index.js': 'x\n',
  });
  const { img } = await build('ignored', ctx);
  const [all, txt] = img.layers as [string, string];
  const found = spawnSync('find', ['.', '-mindepth', '1'], { cwd: diff(root, all, 'app'), encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .sort();
  assert.ok(found.includes('./keep.txt'), found.join(' '));
  assert.ok(found.includes('./sub/ok.md'), found.join(' '));
  // As in .dockerignore, '*.env' matches at the top of the context only; '**/' reaches down.
  assert.ok(found.includes('./sub/deep.env'), found.join(' '));
  for (const gone of ['./secret.env', './sub/deep.secret', './logs', './logs/a.log', './node_modules', './skip.txt']) {
    assert.not.ok(found.includes(gone), `${gone} copied despite .conductorignore: ${found.join(' ')}`);
  }
  assert.ok(existsSync(diff(root, txt, 'txt/keep.txt')));
  assert.not.ok(existsSync(diff(root, txt, 'txt/skip.txt')), 'glob matched an ignored file');
});

test('COPY naming an ignored file fails and says why', async () => {
  const before = await stateOf(root);
  const ctx = makeContext({
    Conductorfile: 'FROM debian:bookworm\nCOPY secret.env /x\n',
    '.conductorignore': '*.env\n',
    'secret.env': 'TOKEN=1\n',
  });
  const e = await buildFails(uniqueName('ign'), ctx);
  assert.is(e.code, 'PARSE_ERROR', e.message);
  assert.match(e.message, /Conductorfile:2: COPY source "secret.env" is excluded by \.conductorignore/);
  assert.is(await stateOf(root), before);
});

test('COPY with a glob and several sources into a directory', async () => {
  const ctx = makeContext({
    Conductorfile: 'FROM debian:bookworm\nCOPY *.txt extra/b.md conf/ /multi/\n',
    'a.txt': 'a\n',
    'c.txt': 'c\n',
    'not-matched.md': 'n\n',
    'extra/b.md': 'b\n',
    'conf/x.conf': 'x\n',
  });
  const { img } = await build('multi', ctx);
  const d = diff(root, img.layers[0]!, 'multi');
  assert.equal(readdirSync(d).sort(), ['a.txt', 'b.md', 'c.txt', 'x.conf']);
  assert.is(readFileSync(path.join(d, 'b.md'), 'utf8'), 'b\n');
});

test('COPY one file to a new file path, into an existing dir, and onto a dir path without slash', async () => {
  const ctx = makeContext({
    Conductorfile: [
      'FROM debian:bookworm',
      'COPY one.txt /new/dir/renamed.txt',
      'COPY one.txt /opt/',
      'COPY two.txt /srv',
      '',
    ].join('\n'),
    'one.txt': 'one\n',
    'two.txt': 'two\n',
  });
  const { img } = await build('single', ctx);
  const [renamed, intoOpt, intoSrv] = img.layers as [string, string, string];
  assert.is(readFileSync(diff(root, renamed, 'new/dir/renamed.txt'), 'utf8'), 'one\n');
  assert.not.ok(existsSync(diff(root, renamed, 'new/dir/one.txt')));
  assert.ok(lstatSync(diff(root, renamed, 'new/dir/renamed.txt')).isFile());
  assert.is(readFileSync(diff(root, intoOpt, 'opt/one.txt'), 'utf8'), 'one\n');
  assert.is(
    readFileSync(diff(root, intoSrv, 'srv/two.txt'), 'utf8'),
    'two\n',
    '/srv exists in the base: copied into it',
  );
  assert.equal(readdirSync(statePaths(root).layerDiff(renamed, 'new/dir')), ['renamed.txt'], 'no temp dir left behind');
});

test('a symlink inside a copied dir is copied as a symlink, never followed', async () => {
  const ctx = makeContext({
    Conductorfile: 'FROM debian:bookworm\nCOPY dir/ /d/\n',
    'dir/real.txt': 'real\n',
    'dir/shadow': { symlink: '/etc/shadow' },
    'dir/rel': { symlink: 'real.txt' },
  });
  const { img } = await build('links', ctx);
  const link = diff(root, img.layers[0]!, 'd/shadow');
  assert.ok(lstatSync(link).isSymbolicLink(), 'a symlink in the layer');
  assert.is(readlinkSync(link), '/etc/shadow');
  assert.is(readlinkSync(diff(root, img.layers[0]!, 'd/rel')), 'real.txt');
});

test('COPY through an image symlink (/target -> /etc) lands in the image, never on the host', async () => {
  const name = `conductor-test-${randomBytes(4).toString('hex')}`;
  const ctx = makeContext({
    Conductorfile: `FROM debian:bookworm\nRUN ln -s /etc /target\nCOPY f /target/${name}\n`,
    f: 'inside\n',
  });
  const { img } = await build('escape', ctx);
  assert.ok(lstatSync(diff(root, img.layers[0]!, 'target')).isSymbolicLink());
  assert.is(readFileSync(diff(root, img.layers[1]!, `etc/${name}`), 'utf8'), 'inside\n');
  assert.not.ok(existsSync(`/etc/${name}`), `host /etc/${name} was written`);
  assert.not.ok(existsSync(diff(root, img.layers[1]!, 'target')), 'the link itself is unchanged');
});

// ── failures leave nothing behind ──────────────────────────

test('a failing RUN: BuildError with its exit code, no image, no layer, no temp, no mount', async () => {
  const before = await stateOf(root);
  const ctx = makeContext({ Conductorfile: 'FROM debian:bookworm\nRUN echo partial > /p && exit 3\n' });
  const e = await buildFails('fails', ctx);
  assert.instance(e, BuildError);
  assert.is((e as BuildError).exitCode, 3);
  assert.is(e.code, 'BUILD_FAILED');
  assert.match(e.message, /Conductorfile:2: "RUN echo partial > \/p && exit 3" failed with exit code 3/);
  assert.is(await stateOf(root), before);
  assert.equal(tmpLayers(root), []);
  assert.equal(
    existsSync(path.join(root, '.tmp')) ? readdirSync(path.join(root, '.tmp')) : [],
    [],
    'build work dir removed',
  );
  assertNoMounts(root);
});

const BAD: Array<{ about: string; files: Record<string, Entry>; code: ErrorCode; message: RegExp }> = [
  {
    about: 'unknown instruction',
    files: { Conductorfile: 'FROM debian:bookworm\nFOO bar\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: unknown instruction "FOO"/,
  },
  {
    about: 'FROM not first',
    files: { Conductorfile: '# c\nRUN true\nFROM debian:bookworm\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: RUN before FROM \(only ARG may come before the first FROM\)/,
  },
  {
    about: 'unsupported base',
    files: { Conductorfile: 'FROM alpine:3\nRUN true\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile:1: unsupported base "alpine:3" \(supported: .*debian:bookworm/,
  },
  {
    about: 'COPY source missing',
    files: { Conductorfile: 'FROM debian:bookworm\nCOPY nope.txt /x\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: COPY source "nope.txt" not found/,
  },
  {
    about: 'COPY glob matching nothing',
    files: { Conductorfile: 'FROM debian:bookworm\nCOPY *.nothing /x/\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: COPY source "\*.nothing" not found/,
  },
  {
    about: 'COPY ../x',
    files: { Conductorfile: 'FROM debian:bookworm\nCOPY ../x /x\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: COPY source "..\/x" is outside the build context/,
  },
  {
    about: 'COPY absolute source',
    files: { Conductorfile: 'FROM debian:bookworm\nCOPY /etc/passwd /x\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: COPY source "\/etc\/passwd" is outside the build context/,
  },
  {
    about: 'COPY a context symlink to /etc',
    files: { Conductorfile: 'FROM debian:bookworm\nCOPY secret /x\n', secret: { symlink: '/etc' } },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: COPY source "secret" resolves outside the build context/,
  },
  {
    about: 'COPY a file through a context symlink to /etc',
    files: { Conductorfile: 'FROM debian:bookworm\nCOPY secret/passwd /x\n', secret: { symlink: '/etc' } },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: COPY source "secret\/passwd" resolves outside the build context/,
  },
  {
    about: 'COPY a glob matching a symlink to outside',
    files: { Conductorfile: 'FROM debian:bookworm\nCOPY s* /x/\n', secret: { symlink: '/etc/shadow' } },
    code: 'PARSE_ERROR',
    message: /Conductorfile:2: COPY source "secret" resolves outside the build context/,
  },
  { about: 'empty file', files: { Conductorfile: '' }, code: 'PARSE_ERROR', message: /Conductorfile: file is empty/ },
  {
    about: 'comments only',
    files: { Conductorfile: '# nothing\n\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile: no FROM instruction/,
  },
  {
    about: 'instruction out of scope',
    files: { Conductorfile: 'FROM debian:bookworm\nCMD ["x"]\nONBUILD RUN true\n' },
    code: 'PARSE_ERROR',
    message: /Conductorfile:3: not supported: ONBUILD/,
  },
];

for (const bad of BAD) {
  test(`bad input is refused with ${bad.code} and changes nothing: ${bad.about}`, async () => {
    const before = await stateOf(root);
    const ctx = makeContext(bad.files);
    const e = await buildFails(uniqueName('bad'), ctx);
    assert.is(e.code, bad.code, e.message);
    assert.match(e.message, bad.message);
    assert.is(await stateOf(root), before);
    assertNoMounts(root);
  });
}

test("no layer holds the host's /etc/shadow content after the symlink tricks above", async () => {
  for (const key of layerNames(root).filter((n) => !n.startsWith('.'))) {
    const found = spawnSync('grep', ['-rlsF', 'root:', diff(root, key)], { encoding: 'utf8' }).stdout;
    assert.not.match(found, /shadow/, `layer ${key} holds a shadow file`);
  }
});

test('invalid image names are refused before anything happens', async () => {
  const before = await stateOf(root);
  for (const name of ['..', '.', 'a/b', '-rf', '', 'with space', '../../etc']) {
    const e = await buildFails(name, appCtx);
    assert.is(e.code, 'INVALID_NAME', `${JSON.stringify(name)}: ${e.message}`);
    assert.ok(e.message.includes(JSON.stringify(name)), e.message);
  }
  assert.is(await stateOf(root), before);
});

test('a missing Conductorfile or context is INVALID_ARGUMENT', async () => {
  const e1 = await buildImage('x', {
    root,
    file: path.join(ctxParent, 'none', 'Conductorfile'),
    context: ctxParent,
    log: captureLog().log,
  }).catch((e: unknown) => e);
  assert.ok(isConductorError(e1, 'INVALID_ARGUMENT'), String(e1));
  const e2 = await buildImage('x', {
    root,
    file: path.join(appCtx, 'Conductorfile'),
    context: path.join(ctxParent, 'none'),
    log: captureLog().log,
  }).catch((e: unknown) => e);
  assert.ok(isConductorError(e2, 'INVALID_ARGUMENT'), String(e2));
});

let killedRoot = '';
let killedPid = 0;

test('a build SIGKILLed mid-RUN leaves no image, process or mount; the next build cleans up', async () => {
  const r = newRoot();
  killedRoot = r;
  const sleepArg = `29.${randomBytes(3).readUIntBE(0, 3)}`;
  const ctx = makeContext({ Conductorfile: `FROM debian:bookworm\nRUN echo started && sleep ${sleepArg}\n` });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', BUILD_CHILD, 'killed', path.join(ctx, 'Conductorfile'), ctx, r],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: process.env,
    },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_c, s) => res(s)));
  const isSleep = (cmd: string) => cmd.includes(`sleep ${sleepArg}`);
  try {
    const running = await waitFor(() => tmpLayers(r).length > 0 && findProcesses(isSleep).length > 0, 30_000);
    assert.ok(running, `the RUN step never started: ${stderr}`);
    const t0 = performance.now();
    killedPid = child.pid!;
    process.kill(child.pid!, 'SIGKILL');
    assert.is(await exited, 'SIGKILL');
    const gone = await waitFor(() => findProcesses(isSleep).length === 0, 5_000);
    console.log(`  RUN processes gone ${ms(performance.now() - t0)} after SIGKILL`);
    assert.ok(
      gone,
      `still running: ${findProcesses(isSleep)
        .map((p) => `${p} ${cmdlineOf(p)}`)
        .join('; ')}`,
    );
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  assert.equal(await images({ root: r }), []);
  assert.equal(
    layerNames(r).filter((n) => !n.startsWith('.')),
    [],
    'no committed layer',
  );
  assert.is(tmpLayers(r).length, 1, 'the killed build left its temp layer (cleaned by the next build)');
  assertNoMounts(r);

  const next = makeContext({ Conductorfile: 'FROM debian:bookworm\nRUN echo next > /next\n' });
  const { img } = await build('after-kill', next, r);
  assert.is(readFileSync(diff(r, img.layers[0]!, 'next'), 'utf8'), 'next\n');
  assert.equal(tmpLayers(r), [], 'stale temp layer removed');
  assertNoMounts(r);
});

test("the killed build's work dir (<root>/.tmp/build-<pid>-*) is removed by the next build", () => {
  assert.ok(killedRoot && killedPid, 'depends on the SIGKILL test');
  const left = readdirSync(path.join(killedRoot, '.tmp')).filter((n) => n.startsWith(`build-${killedPid}-`));
  assert.equal(left, [], `stale build work dirs in ${killedRoot}/.tmp`);
});

// ── removing images and cache ────────────────────────────

const SHARED_PREFIX = 'FROM debian:bookworm\nCOPY shared.txt /shared.txt\n';

test('removeImage removes the record and its own layers, keeps layers shared with another image', async () => {
  const r = newRoot();
  const a = (
    await build('img-a', makeContext({ Conductorfile: SHARED_PREFIX + 'RUN echo a > /a\n', 'shared.txt': 's\n' }), r)
  ).img;
  const b = (
    await build('img-b', makeContext({ Conductorfile: SHARED_PREFIX + 'RUN echo b > /b\n', 'shared.txt': 's\n' }), r)
  ).img;
  assert.is(a.layers[0], b.layers[0], 'same COPY → same layer');
  assert.is.not(a.layers[1], b.layers[1]);
  const res = await removeImage('img-a', { root: r });
  assert.is(res.removedLayers, 1);
  assert.equal(
    (await images({ root: r })).map((i) => i.name),
    ['img-b'],
  );
  assert.not.ok(existsSync(path.join(statePaths(r).layers, a.layers[1]!)), 'unique layer removed');
  assert.ok(existsSync(path.join(statePaths(r).layers, a.layers[0]!)), 'shared layer kept');
  assert.ok(existsSync(path.join(statePaths(r).layers, b.layers[1]!)));
  const e = await removeImage('img-a', { root: r }).catch((x: unknown) => x);
  assert.ok(isConductorError(e, 'IMAGE_NOT_FOUND'), String(e));
  const e2 = await removeImage('../x', { root: r }).catch((x: unknown) => x);
  assert.ok(isConductorError(e2, 'INVALID_NAME'), String(e2));
  await removeImage('img-b', { root: r });
  assert.equal(
    layerNames(r).filter((n) => !n.startsWith('.')),
    [],
    'last image gone: no layers left',
  );
});

/**
 * removeCache deletes bases, and the shared cache's bookworm must survive whatever it does: run it
 * against a temp cache whose bookworm entry is a symlink to the shared one (rm of a symlink never
 * touches its target) plus a fake, unused trixie base.
 */
async function withTempCache<T>(root: string, fn: (cache: string) => Promise<T>): Promise<T> {
  // The root's own cache (CONDUCTOR_CACHE unset): only such a cache may lose bases to rmcache.
  const cache = path.join(root, '.cache');
  mkdirSync(path.join(cache, 'base', 'debian-trixie', 'rootfs'), { recursive: true });
  writeFileSync(path.join(cache, 'base', 'debian-trixie', 'complete'), 'fake\n');
  symlinkSync(path.join(SHARED_CACHE, 'base', 'debian-bookworm'), path.join(cache, 'base', 'debian-bookworm'));
  symlinkSync(path.join(SHARED_CACHE, 'dev'), path.join(cache, 'dev'));
  const saved = process.env.CONDUCTOR_CACHE;
  delete process.env.CONDUCTOR_CACHE;
  try {
    return await fn(cache);
  } finally {
    process.env.CONDUCTOR_CACHE = saved;
    rmSync(cache, { recursive: true, force: true });
    assert.ok(existsSync(path.join(SHARED_CACHE, 'base', 'debian-bookworm', 'complete')), 'the shared base survived');
  }
}

test('removeCache removes unused layers and bases, keeps what images use and says so', async () => {
  const r = newRoot();
  await withTempCache(r, async (cache) => {
    const ctx = makeContext({ Conductorfile: SHARED_PREFIX + 'RUN cat /shared.txt > /out\n', 'shared.txt': 'v1\n' });
    const old = (await build('keeper', ctx, r)).img;
    writeFileSync(path.join(ctx, 'shared.txt'), 'v2\n');
    const cur = (await build('keeper', ctx, r)).img;
    assert.equal(layerNames(r).filter((n) => !n.startsWith('.')).length, 4, 'old and new layers on disk');

    const res = await removeCache({ root: r });
    console.log(`  removeCache: ${JSON.stringify(res)}`);
    assert.is(res.removedLayers, 2);
    assert.equal(res.removedBases, ['debian-trixie']);
    assert.not.ok(res.removedBases.includes('debian-bookworm'));
    assert.ok(
      res.kept.some((k) => k.includes('debian-bookworm') && k.includes('"keeper"')),
      res.kept.join('; '),
    );
    assert.ok(
      res.kept.some((k) => k.includes('image "keeper"')),
      res.kept.join('; '),
    );
    for (const k of old.layers) assert.not.ok(existsSync(path.join(statePaths(r).layers, k)));
    for (const k of cur.layers) assert.ok(existsSync(path.join(statePaths(r).layers, k)));
    assert.not.ok(existsSync(path.join(cache, 'base', 'debian-trixie')));
    assert.ok(existsSync(path.join(cache, 'base', 'debian-bookworm')));
    assert.equal(
      (await images({ root: r })).map((i) => i.name),
      ['keeper'],
    );

    const again = await removeCache({ root: r });
    assert.is(again.removedLayers, 0);
    assert.equal(again.removedBases, []);

    const all = await removeCache({ root: r, all: true });
    assert.is(all.removedLayers, 2);
    assert.equal(await images({ root: r }), []);
  });
});

test('removeCache never removes bases from a shared cache (CONDUCTOR_CACHE) and says why', async () => {
  const r = newRoot();
  const res = await removeCache({ root: r });
  assert.equal(res.removedBases, []);
  assert.ok(
    res.kept.some((k) => k.includes('debian-bookworm') && k.includes('shared')),
    res.kept.join('; '),
  );
  assert.ok(existsSync(path.join(SHARED_CACHE, 'base', 'debian-bookworm', 'complete')));
});

test('nothing leaked on the host: mounts, links, processes', () => {
  for (const r of roots) assertNoMounts(r.root);
  assert.equal(mountLinesMentioning(ctxParent), []);
  const d = diffHost(hostBefore);
  assert.equal(
    d.newMounts.filter((m) => m.includes('conductor')),
    [],
    'new mounts',
  );
  assert.equal(d.newLinks, [], 'builds use the host network: no new links');
  // Ours: the RUN sleepers of this file, or anything naming one of its state roots or contexts (other
  // conductor processes on the machine, e.g. another test tier running beside this one, are not ours).
  const mine = [ctxParent, ...roots.map((r) => r.root)];
  const ours = d.newProcesses.filter((p) => /sleep 29\./.test(p.cmdline) || mine.some((m) => p.cmdline.includes(m)));
  assert.equal(ours, [], 'processes left behind');
});

test.run();
