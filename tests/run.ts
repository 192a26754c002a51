/**
 * The test command: `npm test` runs tests/unit/**\/*.test.ts (in parallel, no root), then
 * tests/integration/**\/*.test.ts (one at a time: they share the host's network and iptables).
 *
 *   tsx tests/run.ts [--unit | --integration] [FILTER...]
 *
 * FILTERs are substrings of test file paths. Each file runs in its own `node --import tsx` process;
 * its uvu summary is parsed and summed. The last line is always `N passed, N failed[, N skipped]`;
 * the exit code is 1 if anything failed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const UNIT_TIMEOUT_MS = 120_000;
const INTEGRATION_TIMEOUT_MS = 15 * 60_000;

interface FileResult {
  file: string;
  total: number;
  passed: number;
  skipped: number;
  /** Failures counted for this file: uvu's, or at least 1 when the process failed without saying. */
  failed: number;
  ms: number;
  note?: string;
}

function parseArgs(argv: string[]): { unit: boolean; integration: boolean; filters: string[] } {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  for (const f of flags) {
    if (f !== '--unit' && f !== '--integration') {
      process.stderr.write(`run.ts: unknown flag ${f} (use --unit, --integration, or path substrings)\n`);
      process.exit(2);
    }
  }
  const only = flags.has('--unit') !== flags.has('--integration');
  return {
    unit: !only || flags.has('--unit'),
    integration: !only || flags.has('--integration'),
    filters: argv.filter((a) => !a.startsWith('--')),
  };
}

function findTests(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** uvu's end-of-file summary; the last one wins if a file printed several. */
function parseSummary(output: string): { total: number; passed: number; skipped: number } | null {
  const text = output.replace(ANSI, '');
  const last = (label: string): number | null => {
    const all = [...text.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)\\s*$`, 'gm'))];
    return all.length ? Number(all[all.length - 1]![1]) : null;
  };
  const total = last('Total');
  const passed = last('Passed');
  if (total === null || passed === null) return null;
  return { total, passed, skipped: last('Skipped') ?? 0 };
}

/** Installs the Debian packages only the tests use (tests/debian-packages.txt), saying so; never skips silently. */
function ensureTestPackages(): void {
  const listed = readFileSync(path.join(REPO, 'tests', 'debian-packages.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  const missing = listed.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    process.stdout.write(`test-only Debian packages missing (tests that need them will fail): ${missing.join(' ')}\n`);
    return;
  }
  process.stdout.write(`installing test-only Debian packages: ${missing.join(' ')}\n`);
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status;
  if (apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]) !== 0) {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
  }
}

const children = new Set<number>();

/** Run one test file; stream (or, when `buffer`, print at the end) its output. */
function runFile(file: string, env: NodeJS.ProcessEnv, buffer: boolean, timeoutMs: number): Promise<FileResult> {
  const rel = path.relative(REPO, file);
  const t0 = Date.now();
  return new Promise((resolve) => {
    // Its own process group, so a timeout or Ctrl-C can take down everything the file started.
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child.pid!);
    let out = '';
    const chunks: Array<[NodeJS.WriteStream, Buffer]> = [];
    const onData = (stream: NodeJS.WriteStream) => (c: Buffer) => {
      out += c.toString();
      if (buffer) chunks.push([stream, c]);
      else stream.write(c);
    };
    child.stdout!.on('data', onData(process.stdout));
    child.stderr!.on('data', onData(process.stderr));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid!);
    }, timeoutMs);
    if (!buffer) process.stdout.write(`\n── ${rel}\n`);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child.pid!);
      if (buffer) {
        process.stdout.write(`\n── ${rel}\n`);
        for (const [s, c] of chunks) s.write(c);
      }
      const ms = Date.now() - t0;
      const sum = parseSummary(out);
      const r: FileResult = { file: rel, total: 0, passed: 0, skipped: 0, failed: 0, ms };
      if (sum) Object.assign(r, sum, { failed: Math.max(0, sum.total - sum.passed) });
      if (timedOut) r.note = `timed out after ${Math.round(timeoutMs / 1000)} s`;
      else if (code !== 0) r.note = signal ? `killed by ${signal}` : `exited with code ${code}`;
      else if (!sum) r.note = 'printed no uvu summary (did it call test.run()?)';
      if (r.note && r.failed === 0) r.failed = 1;
      resolve(r);
    });
  });
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const pid of children) killGroup(pid);
    process.exit(130);
  });
}

async function runParallel(files: string[], env: NodeJS.ProcessEnv): Promise<FileResult[]> {
  const results: FileResult[] = new Array(files.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(files.length, Math.max(2, os.availableParallelism())) }, async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await runFile(files[i]!, env, true, UNIT_TIMEOUT_MS);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * Debootstrap (once per cache) before any integration file runs, so CI pays for it once and
 * every test file gets the same cached base. Also builds the init helper if it is missing.
 */
async function prepareIntegration(cache: string): Promise<string | null> {
  // Up to date after `npm ci`; make rebuilds only what changed since.
  const r = spawnSync('make', ['-s', '-C', path.join(REPO, 'native')], { stdio: 'inherit' });
  if (r.status !== 0) return 'make -C native failed';
  const t0 = Date.now();
  try {
    const { resolvePaths } = await import('../sdk/config.ts');
    const { ensureBase } = await import('../sdk/image/base.ts');
    const { createLogger } = await import('../sdk/log.ts');
    const paths = resolvePaths(undefined, { ...process.env, CONDUCTOR_CACHE: cache });
    await ensureBase(paths, { distro: 'debian', suite: 'bookworm' }, createLogger());
  } catch (e) {
    return `could not prepare the base in ${cache}: ${e instanceof Error ? e.message : String(e)}`;
  }
  process.stdout.write(`base debian:bookworm ready in ${cache} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  return null;
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  const pick = (files: string[]) =>
    opts.filters.length === 0
      ? files
      : files.filter((f) => opts.filters.some((s) => path.relative(REPO, f).includes(s)));
  const unitFiles = opts.unit ? pick(findTests(path.join(REPO, 'tests', 'unit'))) : [];
  const integrationFiles = opts.integration ? pick(findTests(path.join(REPO, 'tests', 'integration'))) : [];
  if (unitFiles.length + integrationFiles.length === 0) {
    process.stdout.write(
      `no test files match ${opts.filters.map((f) => JSON.stringify(f)).join(' ')}\n0 passed, 1 failed\n`,
    );
    return 1;
  }

  ensureTestPackages();
  const cache = path.resolve(process.env.CONDUCTOR_CACHE || path.join(REPO, '.cache'));
  const env: NodeJS.ProcessEnv = { ...process.env, CONDUCTOR_CACHE: cache };
  if (process.stdout.isTTY && !process.env.NO_COLOR) env.FORCE_COLOR ??= '1';

  const results: FileResult[] = [];
  if (unitFiles.length) {
    process.stdout.write(`unit: ${unitFiles.length} file(s)\n`);
    results.push(...(await runParallel(unitFiles, env)));
  }
  if (integrationFiles.length) {
    process.stdout.write(`\nintegration: ${integrationFiles.length} file(s), CONDUCTOR_CACHE=${cache}\n`);
    const refuse = (why: string) => {
      process.stdout.write(`integration tests NOT run: ${why}\n`);
      for (const f of integrationFiles)
        results.push({ file: path.relative(REPO, f), total: 0, passed: 0, skipped: 0, failed: 1, ms: 0, note: why });
    };
    if (process.getuid?.() !== 0) {
      refuse('they need root (namespaces, mounts, iptables); run `sudo npm test` or `npm run test:unit`');
    } else {
      const problem = await prepareIntegration(cache);
      if (problem) {
        process.stdout.write(`warning: ${problem}\n`);
        results.push({ file: '(base pre-warm)', total: 0, passed: 0, skipped: 0, failed: 1, ms: 0, note: problem });
      }
      for (const f of integrationFiles) results.push(await runFile(f, env, false, INTEGRATION_TIMEOUT_MS));
    }
  }

  process.stdout.write('\n');
  const width = Math.max(...results.map((r) => r.file.length));
  for (const r of results) {
    const status = r.failed ? 'FAIL' : 'ok  ';
    const secs = (r.ms / 1000).toFixed(2).padStart(7);
    process.stdout.write(
      `${status} ${r.file.padEnd(width)} ${secs} s  ${r.passed}/${r.total}` +
        `${r.skipped ? ` (${r.skipped} skipped)` : ''}${r.note ? `  ${r.note}` : ''}\n`,
    );
  }
  const failedFiles = results.filter((r) => r.failed > 0);
  if (failedFiles.length) process.stdout.write(`\nfailed: ${failedFiles.map((r) => r.file).join(', ')}\n`);
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const skipped = results.reduce((n, r) => n + r.skipped, 0);
  process.stdout.write(`total wall time ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
