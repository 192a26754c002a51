/** Spawning commands (with a deadline) and timing them with hyperfine. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock time from spawn to exit, in milliseconds. */
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  /** Kill the process (SIGKILL) after this many milliseconds; the result then has code 124. */
  timeoutMs?: number;
  /** Pass stdout/stderr through instead of collecting them. */
  inherit?: boolean;
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [
        opts.input === undefined ? 'ignore' : 'pipe',
        opts.inherit ? 'inherit' : 'pipe',
        opts.inherit ? 'inherit' : 'pipe',
      ],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    // Timed to the process's exit, not to the close of its pipes (a detached grandchild may hold them).
    let exitedAt: bigint | null = null;
    child.on('exit', () => (exitedAt ??= process.hrtime.bigint()));
    const done = (code: number) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: timedOut ? 124 : code,
        stdout,
        stderr,
        ms: Number((exitedAt ?? process.hrtime.bigint()) - t0) / 1e6,
      });
    };
    child.on('error', (e) => {
      stderr += String(e);
      done(127);
    });
    child.on('close', (code, sig) => done(code ?? (sig ? 128 : 1)));
  });
}

/** run() that throws with the command's stderr unless it exits 0. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    throw new Error(
      `\`${argv.join(' ')}\` exited ${r.code}${r.code === 124 ? ' (timed out)' : ''}: ` +
        `${(r.stderr || r.stdout).trim().split('\n').slice(-4).join(' / ')}`,
    );
  }
  return r;
}

/** Quote for a hyperfine command line (split with shell-words rules under -N). */
export function q(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export const cmdline = (argv: readonly string[]) => argv.map(q).join(' ');

export interface HyperfineOptions {
  runs: number;
  warmup?: number;
  /** Run before each timed run (and each warm-up), untimed. */
  prepare?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
}

interface HyperfineJson {
  results: { command: string; times: number[]; exit_codes?: (number | null)[] }[];
}

async function hyperfineJson(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<HyperfineJson> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cbench-hf-'));
  const out = path.join(dir, 'out.json');
  try {
    await runOk(['hyperfine', '-N', '--style', 'none', '--export-json', out, ...args], opts);
    return JSON.parse(readFileSync(out, 'utf8')) as HyperfineJson;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whole-process wall times (ms) of one command, `-N` (no shell in between). */
export async function hyperfine(command: string, opts: HyperfineOptions): Promise<number[]> {
  const args = ['--runs', String(opts.runs), '--warmup', String(opts.warmup ?? 2)];
  if (opts.prepare) args.push('--prepare', opts.prepare);
  const j = await hyperfineJson([...args, command], opts);
  return j.results[0]!.times.map((t) => t * 1000);
}

/**
 * One timed run per value of `{i}` (from..to), so every run gets a fresh name (hyperfine
 * `--parameter-scan`, `--runs 1`). Returns the wall times (ms) in run order.
 */
export async function hyperfineScan(
  command: string,
  from: number,
  to: number,
  opts: Omit<HyperfineOptions, 'runs'>,
): Promise<number[]> {
  const args = ['--runs', '1', '--warmup', '0'];
  if (opts.prepare) args.push('--prepare', opts.prepare);
  const j = await hyperfineJson([...args, '--parameter-scan', 'i', String(from), String(to), command], opts);
  return j.results.flatMap((r) => r.times.map((t) => t * 1000));
}

export interface Contender {
  command: string;
  runs: number;
  warmup?: number;
  /** The command contains `{i}`: each run gets its own value (see hyperfineScan). */
  scan?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * Time several commands in alternating chunks (A B C A B C ...) instead of all of A, then all
 * of B: the machine's load drifts, and this spreads the drift over every contender alike.
 * Warm-up runs (untimed) happen before the first chunk only. Returns each contender's times (ms).
 */
export async function interleaved(contenders: Contender[], rounds: number, timeoutMs: number): Promise<number[][]> {
  const out: number[][] = contenders.map(() => []);
  for (const c of contenders) {
    const w = c.warmup ?? 2;
    if (w === 0) continue;
    if (c.scan) {
      for (let n = 1; n <= w; n++)
        await hyperfineJson(['--runs', '1', '--warmup', '0', c.command.replaceAll('{i}', `w${n}`)], {
          env: c.env,
          timeoutMs,
        });
    } else {
      await hyperfineJson(['--runs', String(w), '--warmup', '0', c.command], { env: c.env, timeoutMs });
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const [k, c] of contenders.entries()) {
      const from = Math.floor((c.runs * r) / rounds);
      const to = Math.floor((c.runs * (r + 1)) / rounds);
      if (to <= from) continue;
      const times = c.scan
        ? await hyperfineScan(c.command, from + 1, to, { env: c.env, timeoutMs })
        : await hyperfine(c.command, { runs: to - from, warmup: 0, env: c.env, timeoutMs });
      out[k]!.push(...times);
    }
  }
  return out;
}

export interface TimedRuns {
  times: number[];
  /** One line per run that failed or hung (killed after the timeout); those are not in `times`. */
  failures: string[];
}

/**
 * Time a command from Node (spawn → exit; ~1 ms more than hyperfine -N), with an untimed
 * `prepare` before each run and a per-run timeout, so that one hung run is reported and
 * does not take the whole group down.
 */
export async function timedRuns(
  argv: readonly string[],
  opts: { runs: number; warmup: number; prepare?: () => Promise<void>; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<TimedRuns> {
  const out: TimedRuns = { times: [], failures: [] };
  for (let i = 0; i < opts.warmup + opts.runs; i++) {
    await opts.prepare?.();
    const r = await run(argv, { env: opts.env, timeoutMs: opts.timeoutMs });
    if (r.code !== 0)
      out.failures.push(
        r.code === 124
          ? `hung, killed after ${opts.timeoutMs / 1000} s`
          : `exit ${r.code}: ${r.stderr.trim().split('\n').pop()}`,
      );
    else if (i >= opts.warmup) out.times.push(r.ms);
  }
  return out;
}
