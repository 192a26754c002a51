// dist/conductor.cjs (scripts/cli-loader.cts) against a small stand-in bundle: the V8 code cache it
// keeps per command, which cache it trusts, and import() from code restored out of that cache.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'conductor-loader-'));
const loader = path.join(dir, 'conductor.cjs');
const cacheOf = (cmd: string) => path.join(dir, '.v8-cache', cmd);

// What scripts/build-cli.mjs makes of the CLI: CommonJS inside the module wrapper's function, import()
// routed through __conductor_import, `invoked` naming the command it ran.
writeFileSync(
  path.join(dir, 'cli-bundle.cjs'),
  [
    '(function (exports, require, module, __filename, __dirname, __conductor_import) {',
    'exports.invoked = {};',
    'const cmd = process.argv[2];',
    "if (cmd === 'hello') exports.invoked.command = cmd;",
    "__conductor_import(cmd === 'zx' ? 'zx/core' : 'node:os').then((m) => process.stdout.write(`${cmd} ${typeof (m.release ?? m.$)}\\n`));",
    '})',
  ].join('\n'),
);
// dist/zx-core.cjs's stand-in: what the CLI's import('zx/core') gets.
writeFileSync(
  path.join(dir, 'zx-core.cjs'),
  '(function (exports, require, module) { module.exports = { $: () => {} }; })',
);

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [loader, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test.before(async () => {
  await build({
    entryPoints: [path.join(REPO, 'scripts', 'cli-loader.cts')],
    outfile: loader,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    logLevel: 'error',
  });
});

test("a command's first run writes its cache; the next runs from it, import() included", () => {
  const first = cli('hello');
  assert.equal([first.code, first.out, first.err], [0, 'hello function\n', '']);
  assert.ok(existsSync(cacheOf('hello')), 'cache written after the first run');
  const written = statSync(cacheOf('hello')).mtimeMs;
  const second = cli('hello');
  assert.equal([second.code, second.out, second.err], [0, 'hello function\n', '']);
  assert.is(statSync(cacheOf('hello')).mtimeMs, written, 'an accepted cache is not rewritten');
});

test('no cache for a word the bundle did not run as a command (a typo, an image name)', () => {
  assert.is(cli('typo').out, 'typo function\n');
  assert.not.ok(existsSync(cacheOf('typo')));
});

test('a cache others could write is not used: the owner writes a new one over it', () => {
  writeFileSync(cacheOf('hello'), 'not V8 code');
  chmodSync(cacheOf('hello'), 0o666);
  const r = cli('hello');
  assert.equal([r.code, r.out, r.err], [0, 'hello function\n', '']);
  assert.is(statSync(cacheOf('hello')).mode & 0o777, 0o644);
  assert.ok(statSync(cacheOf('hello')).size > 100, 'V8 code, not the planted text');
});

test('zx/core comes from its own bundle, with a code cache of its own', () => {
  const r = cli('zx');
  assert.equal([r.code, r.out, r.err], [0, 'zx function\n', '']);
  assert.ok(existsSync(path.join(dir, '.v8-cache', 'zx.core')), "zx/core's cache");
  assert.not.ok(existsSync(cacheOf('zx')), 'no CLI cache for a word that is no command');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
