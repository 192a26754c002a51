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
 * zx/core, which the commands that run host tools import, is a bundle of its own (dist/zx-core.cjs,
 * cache dist/.v8-cache/zx.core: a name no command has), loaded the same way on first import.
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

type Wrapper = (
  exports: unknown,
  require: NodeJS.Require,
  module: nodeModule,
  filename: string,
  dirname: string,
  importer: (specifier: string) => Promise<unknown>,
) => void;

const owner = statSync(path.join(here, 'cli-bundle.cjs')).uid;

/**
 * Compile and run one of dist/'s bundles (ASCII and already wrapped, scripts/build-cli.mjs: latin1
 * is a copy, UTF-8 a decode) with the code V8 cached for it in `cacheFile`; when there was none
 * (or V8 rejected it) and we own the bundle, a new one is written at exit if `keep()` agrees, so it
 * holds every function this process compiled, not only the top level. Returns module.exports.
 */
function runBundle(file: string, cacheFile: string | undefined, keep: () => boolean): unknown {
  const cached = cacheFile === undefined ? undefined : readCache(cacheFile, owner);
  const script = new vm.Script(readFileSync(file, 'latin1'), { filename: file, cachedData: cached });
  if (cacheFile !== undefined && (cached === undefined || script.cachedDataRejected) && process.geteuid?.() === owner)
    process.once('exit', () => keep() && writeCache(cacheFile, script.createCachedData(), owner));
  const mod = new Module(file);
  mod.filename = file;
  // The bundle's import() of zx, chalk and globby (scripts/build-cli.mjs routes them here): the
  // loader's own import(), resolved from dist/ as the bundle's would be; zx/core from its bundle.
  (script.runInThisContext() as Wrapper).call(mod.exports, mod.exports, createRequire(file), mod, file, here, load);
  return mod.exports;
}

let zxCore: unknown;
function load(specifier: string): Promise<unknown> {
  if (specifier !== 'zx/core') return import(specifier);
  zxCore ??= runBundle(path.join(here, 'zx-core.cjs'), path.join(cacheDir, 'zx.core'), () => true);
  return Promise.resolve(zxCore);
}

// The CLI. Its cache only for a real command (the bundle says which it ran), never for a typo.
const cacheFile = cacheFileFor(process.argv.slice(2));
const cli = runBundle(path.join(here, 'cli-bundle.cjs'), cacheFile, () => {
  const ran = (cli as { invoked?: { command?: string } }).invoked?.command;
  return ran !== undefined && path.join(cacheDir, ran) === cacheFile;
});
