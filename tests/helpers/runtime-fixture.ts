/**
 * Shared fixture for the runtime integration tests (runtime, runtime-cli, isolation): one temp state
 * root per test file with ONE small image built over the shared cached debian:bookworm base (no
 * network: the RUN step only uses what a minbase has), plus helpers to run the CLI, poll, inspect
 * the host and clean up.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImage } from '../../sdk/image/build.ts';
import { stop } from '../../sdk/container/container.ts';
import { isConductorError, type ErrorCode } from '../../sdk/errors.ts';
import { silentLogger } from '../../sdk/log.ts';
import { cmdlineOf, makeTempRoot, mountLinesMentioning, uniqueName, type TempRoot } from './temp-root.ts';
import { statePaths } from './state-paths.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO, 'dist', 'conductor.cjs');
/** Podman's default bounding set (Docker's without NET_RAW, MKNOD, AUDIT_WRITE), as /proc/<pid>/status prints it. */
export const DEFAULT_CAPBND = '00000000800405fb';

// The image: a layer on the base with a non-executable file, a script and a work dir.
const CONDUCTORFILE = `FROM debian:bookworm
RUN mkdir -p /srv/work && printf 'not a program\\n' > /srv/data.txt && chmod 644 /srv/data.txt && \
printf '#!/bin/sh\\nprintf "%%s\\\\n" "$@"\\n' > /usr/local/bin/args && chmod 755 /usr/local/bin/args
`;

export interface Fixture extends TempRoot {
  image: string;
  /** Build time of the image, ms. */
  buildMs: number;
  /** Environment for CLI children: CONDUCTOR_ROOT = this root. */
  env: NodeJS.ProcessEnv;
}

/** A temp root with the test image built in it. */
export async function makeFixture(prefix: string): Promise<Fixture> {
  const tr = makeTempRoot();
  const ctx = mkdtempSync('/tmp/conductor-test-ctx-');
  const image = uniqueName(`${prefix}img`);
  const t0 = Date.now();
  try {
    writeFileSync(path.join(ctx, 'Conductorfile'), CONDUCTORFILE);
    await buildImage(image, {
      file: path.join(ctx, 'Conductorfile'),
      context: ctx,
      root: tr.root,
      log: silentLogger(),
    });
  } catch (e) {
    await tr.cleanup();
    throw e;
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  const env: NodeJS.ProcessEnv = { ...process.env, CONDUCTOR_ROOT: tr.root, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return { ...tr, image, buildMs: Date.now() - t0, env };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `fn` until truthy; throws with `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Assert that `p` rejects with a ConductorError of `code`; returns the error. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode, what = ''): Promise<Error> {
  try {
    await p;
  } catch (e) {
    if (isConductorError(e, code)) return e;
    throw new Error(
      `${what} expected ConductorError ${code}, ` +
        `got ${e instanceof Error ? `${e.name} ${(e as { code?: string }).code ?? ''}: ${e.message}` : String(e)}`,
    );
  }
  throw new Error(`${what} expected ConductorError ${code}, but it resolved`);
}

/** Stop quietly, ignoring missing containers (finally blocks). */
export async function stopQuiet(root: string, ...names: string[]): Promise<void> {
  await Promise.all(names.map((n) => stop(n, { root, timeoutSeconds: 0, ignoreMissing: true }).catch(() => {})));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run `node dist/conductor.cjs ...args` with CONDUCTOR_ROOT set; never throws on a non-zero exit. */
export function cli(
  env: NodeJS.ProcessEnv,
  args: string[],
  opts: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Build dist/conductor.cjs from the current sources (once per test file). */
export function buildCli(): void {
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'build-cli.mjs')], { cwd: REPO, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build-cli failed: ${r.stderr}`);
}

/** Spawn a process we own (tracked so `killOwned` can end exactly it). */
export function spawnOwned(cmd: string, args: string[], env: NodeJS.ProcessEnv, detached = false): ChildProcess {
  return spawn(cmd, args, { env, stdio: 'ignore', detached });
}

/** SIGKILL a child we started, if it is still ours and alive. */
export function killOwned(child: ChildProcess | undefined): void {
  if (child && child.pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Wait for a child to exit; resolves its code/signal. */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

/** A field of /proc/<pid>/status ("CapBnd", "NoNewPrivs"...), or null. */
export function statusField(pid: number, key: string): string | null {
  try {
    const m = new RegExp(`^${key}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? m[1]!.trim() : null;
  } catch {
    return null;
  }
}

/** Host processes whose command line mentions `text` (never this process). */
export function processesMentioning(text: string): Array<{ pid: number; cmdline: string }> {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => p !== process.pid)
    .map((pid) => ({ pid, cmdline: cmdlineOf(pid) }))
    .filter((p) => p.cmdline.includes(text));
}

/** Every descendant of `pid` (children of children...). */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    let kids: number[] = [];
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const s = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim();
        if (s) kids.push(...s.split(' ').map(Number));
      }
    } catch {
      kids = [];
    }
    for (const k of kids) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

/** Files (recursively, relative paths) under a directory; [] when missing. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) walk(path.join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** What a container may leave behind on the host, for before/after comparisons. */
export interface Leftovers {
  mounts: string[];
  processes: string[];
  containerFiles: string[];
}

export function leftovers(root: string): Leftovers {
  return {
    mounts: mountLinesMentioning(root).map((l) => l.split(' ').slice(4).join(' ')),
    processes: [
      ...processesMentioning(root).map((p) => `${p.pid} ${p.cmdline}`),
      ...descendantsOf(process.pid).map((p) => `${p} ${cmdlineOf(p)}`),
    ],
    containerFiles: filesUnder(statePaths(root).containers),
  };
}
