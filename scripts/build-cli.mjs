#!/usr/bin/env node
// Bundles the CLI (scripts/conductor.ts) into dist/conductor.mjs for `npm ci` / `npm run build`.
// zx, globby and chalk stay in node_modules (external): the SDK imports them lazily with import(),
// so `conductor --help` or `ps` never load them. Measured (median of 60 starts, `--help`/`images`):
// external ~100 ms, bundle+splitting into lazy chunks ~101 ms, one file with them inlined ~111 ms
// (node itself: ~70 ms); external is as fast as splitting and leaves one file in dist/.
// dist/ sits directly under the package root, so sdk/config.ts's PACKAGE_ROOT (the parent of the
// module's directory) still names the root when bundled.
import { build } from 'esbuild';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'scripts', 'conductor.ts');
const outdir = path.join(root, 'dist');
const outfile = path.join(outdir, 'conductor.mjs');

if (!existsSync(entry)) {
  console.log('build-cli: scripts/conductor.ts does not exist yet; nothing to bundle');
  process.exit(0);
}

const t0 = Date.now();
rmSync(outdir, { recursive: true, force: true });
// esbuild keeps the entry's own `#!` line; add one only if it has none (two would be a syntax error).
const hasShebang = readFileSync(entry, 'utf8').startsWith('#!');
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['zx', 'zx/*', 'globby', 'chalk'],
  ...(hasShebang ? {} : { banner: { js: '#!/usr/bin/env node' } }),
  legalComments: 'none',
  logLevel: 'warning',
}).catch(() => {
  // esbuild has already printed the errors with file:line.
  console.error('build-cli: bundling scripts/conductor.ts failed');
  process.exit(1);
});
chmodSync(outfile, 0o755);
console.log(`build-cli: ${path.relative(root, outfile)} (${Date.now() - t0} ms)`);
