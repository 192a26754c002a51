/**
 * dist/conductor.cjs: runs the CLI bundle (dist/cli-bundle.cjs) from V8's code cache.
 *
 * Node 20 has no compile cache for user code (module.enableCompileCache is Node 22), and an ES
 * module cannot be given cached data; a script can. So the CLI is bundled as CommonJS and compiled
 * here with vm.Script, with the code V8 produced for the same command last time: parsing and
 * compiling the ~390 KB bundle is then mostly skipped (callgrind, node only: `exec` 211 → 172 M
 * instructions, `node -e 0` being 87 M).
 *
 * One cache file per command (dist/.v8-cache/<command>), written once, after the first run of that
 * command, so it holds every function that command compiled; rewritten only when V8 rejects it (a
 * new node, other V8 flags). The bundle is rebuilt into a fresh dist/, which drops the caches.
 *
 * Cached code is code: it is used only if it and its directory belong to the bundle's owner and no
 * one else can write them, and only the bundle's owner writes it (atomically, tmp + rename). A
 * cache nobody may trust is ignored, never an error.
 *
 * The loader is CommonJS itself: node starts an ES-module entry ~11 ms slower (an empty .mjs 43.8 ms,
 * an empty .cjs 33.0 ms, hyperfine on this VM), its ESM loader being set up before any of our code.
 */
import fs = require('node:fs');
import nodeModule = require('node:module');
import path = require('node:path');
import vm = require('node:vm');

const { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = fs;
const { createRequire, Module } = nodeModule;
type Stats = fs.Stats;

const here = __dirname;
const bundle = path.join(here, 'cli-bundle.cjs');
const cacheDir = path.join(here, '.v8-cache');

/** Owned by `uid` and writable by no one else. */
function trusted(st: Stats | undefined, uid: number): boolean {
  return st !== undefined && st.uid === uid && (st.mode & 0o022) === 0;
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** The cache file of this command line: its first word, when that is a plain name. */
function cacheFileFor(argv: string[]): string | undefined {
  const cmd = argv[0] ?? '';
  return /^[a-z][a-z-]{0,30}$/.test(cmd) ? path.join(cacheDir, cmd) : undefined;
}

function readCache(file: string, owner: number): Buffer | undefined {
  if (!trusted(statOrUndefined(cacheDir), owner) || !trusted(statOrUndefined(file), owner)) return undefined;
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

function writeCache(file: string, data: Buffer, owner: number): void {
  try {
    mkdirSync(cacheDir, { mode: 0o755 });
  } catch {
    /* exists */
  }
  if (!trusted(statOrUndefined(cacheDir), owner)) return;
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o644 });
    renameSync(tmp, file);
  } catch {
    /* a read-only install: run without a cache */
  }
}

// ASCII and already wrapped (scripts/build-cli.mjs): latin1 is a copy, UTF-8 a decode.
const source = readFileSync(bundle, 'latin1');
const owner = statSync(bundle).uid;
const cacheFile = cacheFileFor(process.argv.slice(2));
const cached = cacheFile === undefined ? undefined : readCache(cacheFile, owner);
// The bundle is a function of CommonJS's module wrapper's arguments, plus the bundle's import() of
// zx, chalk and globby (scripts/build-cli.mjs routes them here): the loader's own import(),
// resolved from dist/ as the bundle's would be.
const script = new vm.Script(source, { filename: bundle, cachedData: cached });
if (cacheFile !== undefined && (cached === undefined || script.cachedDataRejected) && process.geteuid?.() === owner) {
  // At exit, so the cache holds every function this command compiled, not only the top level; and
  // only for a real command (the bundle says which it ran), never for a typo.
  process.once('exit', () => {
    const ran = (mod.exports as { invoked?: { command?: string } }).invoked?.command;
    if (ran !== undefined && path.join(cacheDir, ran) === cacheFile)
      writeCache(cacheFile, script.createCachedData(), owner);
  });
}
const mod = new Module(bundle);
mod.filename = bundle;
const bundleRequire = createRequire(bundle);
const wrapper = script.runInThisContext() as (
  exports: unknown,
  require: NodeJS.Require,
  module: nodeModule,
  filename: string,
  dirname: string,
  importer: (specifier: string) => Promise<unknown>,
) => void;
wrapper.call(mod.exports, mod.exports, bundleRequire, mod, bundle, here, (specifier: string) => import(specifier));
