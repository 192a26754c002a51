// The SDK as a real package: `npm pack`, install the tarball into a fresh temp project, then use it
// from plain `node` ESM (no tsx: images, run, ps, stop against a temp state root) and from
// TypeScript (`tsc --noEmit` accepts a typed script and rejects a mistyped one, so the types are
// real, not `any`). The package's install script builds the native helpers from the shipped sources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeFixture, REPO, type Fixture } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';

const work = mkdtempSync('/tmp/conductor-pack-');
const proj = path.join(work, 'proj');
let fx: Fixture | undefined;

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

test.after(async () => {
  await fx?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test('npm pack → npm install in a fresh project builds the helpers and ships what it needs', async () => {
  fx = await makeFixture('pkg');
  const packed = sh('npm', ['pack', '--pack-destination', work, '--json'], REPO);
  assert.is(packed.code, 0, packed.err);
  // The prepare scripts (build-cli, build-sdk) print on stdout too, before npm's JSON.
  const [info] = JSON.parse(packed.out.slice(packed.out.search(/^\[/m))) as [
    { filename: string; files: { path: string }[] },
  ];
  const files = info.files.map((f) => f.path);
  for (const f of [
    'lib/index.js',
    'lib/index.d.ts',
    'dist/conductor.cjs',
    'native/Makefile',
    'native/monitor.c',
    'sdk/security/seccomp/default.json',
    'scripts/build-native.mjs',
  ]) {
    assert.ok(files.includes(f), `the tarball ships ${f}`);
  }
  assert.not.ok(
    files.some((f) => /^native\/[^.]+$/.test(f) && f !== 'native/Makefile'),
    'no prebuilt helper binaries in the tarball',
  );
  assert.not.ok(
    files.some((f) => f.startsWith('tests/') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
    'no tests or TypeScript sources',
  );

  rmSync(proj, { recursive: true, force: true });
  sh('mkdir', ['-p', proj], work);
  writeFileSync(
    path.join(proj, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }),
  );
  // --prefer-offline: zx, chalk and globby come from npm's cache when it has them.
  const inst = sh(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(work, info.filename)],
    proj,
  );
  assert.is(inst.code, 0, inst.err);
  const native = path.join(proj, 'node_modules', 'conductor', 'native');
  for (const bin of ['conductor-init', 'conductor-monitor', 'conductor-tty', 'conductor-devices', 'seccomp-compile']) {
    assert.ok(existsSync(path.join(native, bin)), `install built native/${bin}`);
  }
  assert.ok(readdirSync(path.join(proj, 'node_modules', '.bin')).includes('conductor'), 'the CLI is a bin');
});

test('plain node ESM: images, run, ps, stop through the installed package', async () => {
  const name = uniqueName('pkg');
  writeFileSync(
    path.join(proj, 'use.mjs'),
    `import { images, run, ps, stop, resolvePaths } from 'conductor';
const out = { root: resolvePaths().root, images: (await images()).map((i) => i.name) };
const c = await run(process.argv[2], process.argv[3], { detach: true, command: ['sleep', 'infinity'] });
out.pid = c.pid;
out.running = (await ps()).map((i) => i.name);
out.stopped = (await stop(c.name, { timeoutSeconds: 0 })).name;
out.after = (await ps({ all: true })).map((i) => i.name);
console.log(JSON.stringify(out));
`,
  );
  const r = sh(process.execPath, ['use.mjs', fx!.image, name], proj, fx!.env);
  assert.is(r.code, 0, r.err);
  const out = JSON.parse(r.out) as {
    root: string;
    images: string[];
    pid: number;
    running: string[];
    stopped: string;
    after: string[];
  };
  assert.is(out.root, fx!.root, '$CONDUCTOR_ROOT wins');
  assert.equal(out.images, [fx!.image]);
  assert.ok(out.pid > 0);
  assert.equal(out.running, [name]);
  assert.is(out.stopped, name);
  assert.equal(out.after, []);

  // Installed as a dependency and run as root, without $CONDUCTOR_ROOT: /var/lib/conductor.
  const env = { ...process.env };
  delete env.CONDUCTOR_ROOT;
  const def = sh(
    process.execPath,
    ['--input-type=module', '-e', "import { resolvePaths } from 'conductor'; console.log(resolvePaths().root)"],
    proj,
    env,
  );
  assert.is(def.out.trim(), '/var/lib/conductor', def.err);

  const cli = sh(path.join(proj, 'node_modules', '.bin', 'conductor'), ['images'], proj, fx!.env);
  assert.is(cli.code, 0, cli.err);
  assert.match(cli.out, fx!.image);
});

test('TypeScript: tsc --noEmit accepts a typed script and rejects a mistyped one', () => {
  // The repo's compiler and @types/node, the installed package's own .d.ts files.
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const config = (file: string) =>
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [path.join(REPO, 'node_modules', '@types')],
      },
      files: [file],
    });
  writeFileSync(
    path.join(proj, 'typed.ts'),
    `import { images, run, isConductorError, type Container, type ImageInfo, type RunOptions } from 'conductor';
const list: ImageInfo[] = await images();
const opts: RunOptions = { detach: true, command: ['sleep', '1'], env: ['A=1'] };
const c: Container = await run(list[0]!.name, 'typed', opts);
const r: { exitCode: number; stdout: string } = await c.exec(['true']);
try { await c.stop({ timeoutSeconds: 1 }); \
} catch (e) { if (isConductorError(e, 'CONTAINER_NOT_FOUND')) console.log(e.code, r.exitCode); }
`,
  );
  writeFileSync(
    path.join(proj, 'mistyped.ts'),
    `import { run } from 'conductor';\nawait run('img', 'x', { detach: 'yes' });\n`,
  );
  writeFileSync(path.join(proj, 'tsconfig.json'), config('typed.ts'));
  const ok = sh(process.execPath, [tsc, '-p', '.'], proj);
  assert.is(ok.code, 0, ok.out + ok.err);
  writeFileSync(path.join(proj, 'tsconfig.json'), config('mistyped.ts'));
  const bad = sh(process.execPath, [tsc, '-p', '.'], proj);
  assert.is(bad.code, 2);
  assert.match(
    bad.out,
    /mistyped\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'boolean( \| undefined)?'/,
  );
});

test.run();
