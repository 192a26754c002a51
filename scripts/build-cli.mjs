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
};
// Builtins the common commands never use, required on first use instead of at start: node:crypto
// costs ~9 M instructions to load (callgrind; node -e 0 is ~87 M), node:zlib ~2 M, and exec, ps or
// logs need neither. Only the functions listed are forwarded: importing any other makes the build
// fail ("No matching export"), so add it here.
const LAZY_BUILTINS = {
  'node:crypto': ['createHash', 'randomBytes'],
  'node:zlib': ['createGunzip', 'createGzip'],
};
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(crypto|zlib)$/ }, (args) =>
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
const cjs = readFileSync(bundle, 'utf8')
  .replace(/^#!.*\n/, '')
  .replace(/\bimport\((?="(?:zx|chalk|globby)[/"])/g, '__conductor_import(');
const stray = /\bimport\(/.exec(cjs);
if (stray) {
  console.error(`build-cli: a dynamic import the loader does not route: ${cjs.slice(stray.index, stray.index + 60)}`);
  process.exit(1);
}
writeFileSync(bundle, cjs);
await build({
  ...common,
  entryPoints: [loader],
  outfile,
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
}).catch(failed('scripts/cli-loader.cts'));
chmodSync(outfile, 0o755);
console.log(`build-cli: ${path.relative(root, outfile)} + ${path.basename(bundle)} (${Date.now() - t0} ms)`);
