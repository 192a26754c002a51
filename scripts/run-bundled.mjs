#!/usr/bin/env node
// Runs a TypeScript script of scripts/ from an esbuild bundle of it, in this same process:
//   node scripts/run-bundled.mjs scripts/service-orchestrator.ts [args...]      (what `just up` runs)
// The script stays plain TypeScript (`npx tsx scripts/service-orchestrator.ts` runs the same code);
// tsx costs a second node process and a module-by-module transform of the whole SDK through its loader
// (~0.5 s of `just up` here), a bundle one file read. The bundle, dist/<name>.mjs (directly under dist/,
// so sdk/config.ts's PACKAGE_ROOT still names the package), is rebuilt when it is missing or older than
// any of the files it was made from (listed beside it by esbuild's metafile), so an edit is never stale.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const script = process.argv[2];
if (!script || !script.endsWith('.ts')) {
  console.error('usage: node scripts/run-bundled.mjs scripts/NAME.ts [args...]');
  process.exit(2);
}
const entry = path.resolve(script);
const outfile = path.join(root, 'dist', `${path.basename(entry, '.ts')}.mjs`);
const inputsFile = `${outfile}.inputs.json`;

/** Is the bundle older than any of its inputs (or one of them gone)? */
function stale() {
  if (!existsSync(outfile) || !existsSync(inputsFile)) return true;
  const built = statSync(outfile).mtimeMs;
  try {
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
    return inputs.some((f) => (statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) > built);
  } catch {
    return true;
  }
}

if (stale()) {
  const { build } = await import('esbuild');
  const r = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // As in the CLI bundle (scripts/build-cli.mjs): loaded lazily from node_modules when a verb needs them.
    external: ['zx', 'zx/*', 'globby', 'chalk'],
    // zx/core by require() (its CommonJS build, ~25 ms) rather than import() (node's ESM loader, ~55 ms).
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const __conductor_require = __cr(import.meta.url);",
    },
    absWorkingDir: root,
    metafile: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  }).catch(() => {
    console.error(`run-bundled: bundling ${script} failed`);
    process.exit(1);
  });
  // Renamed into place: a concurrent run reads the old bundle or the new one, never half of one.
  mkdirSync(path.dirname(outfile), { recursive: true });
  const tmp = `${outfile}.${process.pid}.tmp`;
  writeFileSync(`${inputsFile}.${process.pid}.tmp`, JSON.stringify(Object.keys(r.metafile.inputs)));
  renameSync(`${inputsFile}.${process.pid}.tmp`, inputsFile);
  const text = r.outputFiles[0].text.replace(
    /\bimport\("zx\/core"\)/g,
    'Promise.resolve(__conductor_require("zx/core"))',
  );
  writeFileSync(tmp, text);
  renameSync(tmp, outfile);
}
// The script reads its own arguments from process.argv[2...], as when run by tsx.
process.argv.splice(1, 2, outfile);
await import(pathToFileURL(outfile).href);
