#!/usr/bin/env node
// Bundles the CLI (scripts/conductor.ts) into dist/cli-bundle.cjs, run by dist/conductor.cjs
// (scripts/cli-loader.cts: V8's code cache), for `npm ci` / `npm run build`.
// zx, globby and chalk stay in node_modules (external): the SDK imports them lazily with import(),
// so `conductor --help` or `ps` never load them. Measured (median of 60 starts, `--help`/`images`):
// external ~100 ms, bundle+splitting into lazy chunks ~101 ms, one file with them inlined ~111 ms
// (node itself: ~70 ms); external is as fast as splitting and leaves one file in dist/.
// dist/ sits directly under the package root, so sdk/config.ts's PACKAGE_ROOT (the parent of the
// module's directory) still names the root when bundled.
import { build } from 'esbuild';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'scripts', 'conductor.ts');
const outdir = path.join(root, 'dist');
const outfile = path.join(outdir, 'conductor.cjs');
const bundle = path.join(outdir, 'cli-bundle.cjs');
const zxBundle = path.join(outdir, 'zx-core.cjs');
const loader = path.join(root, 'scripts', 'cli-loader.cts');

if (!existsSync(entry)) {
  console.log('build-cli: scripts/conductor.ts does not exist yet; nothing to bundle');
  process.exit(0);
}

const t0 = Date.now();
rmSync(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // Pure ASCII (\u escapes, in regexes too): the loader reads the bundle as latin1, ~2 ms faster
  // than decoding 450 KB of UTF-8.
  charset: 'ascii',
};
// Builtins required on first use instead of at start, since a bundle evaluates every module's
// imports whichever command runs: node:crypto costs ~9 M instructions to load (callgrind; node -e 0
// is ~87 M), node:zlib ~2 M, and run, exec, ps or logs need neither; ps and images spawn nothing
// (child_process pulls in net, dgram and streams), fs/promises pulls in readline. Only the functions
// listed are forwarded: importing any other makes the build fail ("No matching export"), so add it
// here (a class or an object cannot be forwarded this way: keep such a module out of the list).
const LAZY_BUILTINS = {
  'node:crypto': ['createHash'],
  'node:zlib': ['createGunzip', 'createGzip'],
  'node:child_process': ['spawn', 'spawnSync'],
  'node:net': ['connect', 'isIP', 'isIPv4'],
  'node:tty': ['isatty'],
  'node:fs/promises': ['open'],
  'node:stream/promises': ['pipeline'],
};
const lazyFilter = new RegExp(`^(${Object.keys(LAZY_BUILTINS).join('|')})$`);
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: lazyFilter }, (args) =>
      args.namespace === 'lazy' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({
      loader: 'js',
      contents: [
        'let m;',
        `const get = () => (m ??= require(${JSON.stringify(args.path)}));`,
        ...LAZY_BUILTINS[args.path].map((f) => `export const ${f} = (...a) => get().${f}(...a);`),
      ].join('\n'),
    }));
  },
};
const failed = (what) => () => {
  // esbuild has already printed the errors with file:line.
  console.error(`build-cli: bundling ${what} failed`);
  process.exit(1);
};
// The CLI itself, as CommonJS: dist/conductor.cjs (scripts/cli-loader.cts) compiles it with V8's
// code cache, which Node 20 offers for scripts only. import.meta.url (sdk/config.ts's PACKAGE_ROOT)
// becomes the bundle's own URL.
await build({
  ...common,
  entryPoints: [entry],
  outfile: bundle,
  format: 'cjs',
  external: ['zx', 'zx/*', 'globby', 'chalk'],
  define: { 'import.meta.url': '__conductor_url' },
  plugins: [lazyBuiltins],
  banner: { js: '"use strict";\nvar __conductor_url = require("node:url").pathToFileURL(__filename).href;' },
}).catch(failed('scripts/conductor.ts'));
// The entry's `#!` line, kept by esbuild, is no statement inside the module wrapper the loader adds.
// import() of the external packages goes through the loader's __conductor_import: code that V8
// restores from its cache has lost the script's dynamic-import hook ("A dynamic import callback
// was not specified").
// A default import of a builtin (`import path from 'node:path'`) becomes esbuild's
// __toESM(require(...)) in every module that has one, each copying every export as a getter (42 for
// node:path alone, ~1 ms at start in --cpu-prof): one shared wrapper per builtin instead.
const ESM_SHARED =
  'var __conductor_esm = new Map();\n' +
  'function __conductor_builtin(id) {\n' +
  '  let m = __conductor_esm.get(id);\n' +
  '  if (m === undefined) __conductor_esm.set(id, (m = __toESM(require(id), 1)));\n' +
  '  return m;\n' +
  '}\n';
const cjs = readFileSync(bundle, 'utf8')
  .replace(/^#!.*\n/, '')
  .replace(/\bimport\((?="(?:zx|chalk|globby)[/"])/g, '__conductor_import(')
  .replace(/__toESM\(require\(("node:[a-z_/]+")\), 1\)/g, '__conductor_builtin($1)')
  .replace(/^var __toCommonJS = .*$/m, (line) => `${line}\n${ESM_SHARED}`);
if (!cjs.includes('function __conductor_builtin(')) {
  console.error("build-cli: esbuild's __toCommonJS helper moved; the shared builtin wrapper has no place");
  process.exit(1);
}
const stray = /\bimport\(/.exec(cjs);
if (stray) {
  console.error(`build-cli: a dynamic import the loader does not route: ${cjs.slice(stray.index, stray.index + 60)}`);
  process.exit(1);
}
/**
 * Write a bundle as the loader reads it: ASCII only (latin1 is then a copy), already inside
 * CommonJS's module wrapper (and the loader's __conductor_import), so the loader hands the text to
 * V8 as it is read, without building a second 450 KB string around it.
 */
function writeWrapped(file, text) {
  const wide = /[^\x00-\x7f]/.exec(text);
  if (wide) {
    console.error(
      `build-cli: a non-ASCII character in ${path.basename(file)}: ${text.slice(wide.index - 30, wide.index + 30)}`,
    );
    process.exit(1);
  }
  writeFileSync(file, `(function (exports, require, module, __filename, __dirname, __conductor_import) {${text}\n})`);
}
writeWrapped(bundle, cjs);
// zx/core (its CommonJS build) as a bundle of its own, which the loader compiles with a code cache
// too when the CLI first imports it (sdk/host/sh.ts): node's ESM loader took ~55 ms to import
// zx/core, a require of its five files ~25 ms (addnetwork 205 → 155 ms, in one bundle). Kept out of
// the CLI's bundle, whose commands without a host tool (run, exec, ps) would pay for its size.
await build({
  ...common,
  stdin: { contents: "module.exports = require('zx/core');", resolveDir: root, loader: 'js' },
  outfile: zxBundle,
  format: 'cjs',
}).catch(failed('zx/core'));
writeWrapped(zxBundle, readFileSync(zxBundle, 'utf8'));
await build({
  ...common,
  entryPoints: [loader],
  outfile,
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
}).catch(failed('scripts/cli-loader.cts'));
chmodSync(outfile, 0o755);
console.log(
  `build-cli: ${path.relative(root, outfile)} + ${path.basename(bundle)} + ${path.basename(zxBundle)} (${Date.now() - t0} ms)`,
);
