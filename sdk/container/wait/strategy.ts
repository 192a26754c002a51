/**
 * Wait strategies (testcontainers' habit): a value saying what "ready" means for a container,
 * probed until it holds, the container ends, the time runs out or a signal aborts. The probe
 * reports what it last saw, so a timeout says why the service was not ready.
 */
import { resolvePaths, type CommonOptions } from '../../config.ts';
import { ConductorError } from '../../errors.ts';
import { loadRecord, statusOf } from '../../state/containers.ts';
import type { ContainerRecord } from '../../types.ts';

/**
 * How long a wait may take, and how to abort it.
 * @example await waitFor('web1', Wait.forPort(8080), { timeoutMs: 5000, signal: ac.signal });
 */
export interface WaitOptions extends CommonOptions {
  /** Give up after this long (default 60 s) with a WAIT_TIMEOUT error. */
  timeoutMs?: number;
  /** Abort the wait: it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * What a strategy gets: the container, and the time and signal it must respect.
 * @example const ready: WaitStrategy = { describe: () => 'a file', wait: (ctx) => ctx.ensureRunning('') };
 */
export interface WaitContext {
  name: string;
  /** The state root the container lives in. */
  root?: string;
  record: ContainerRecord;
  deadline: number;
  /** The whole budget, for messages. */
  timeoutMs: number;
  signal: AbortSignal;
  /** Throws unless the container is still running (a dead service never becomes ready). */
  ensureRunning(lastSeen: string): void;
}

/**
 * What "ready" means: made by `Wait.forPort/forHttp/forLog`, or written for a check of one's own.
 * @example
 * const migrated: WaitStrategy = {
 *   describe: () => 'the migration marker',
 *   async wait(ctx) {
 *     while (!existsSync('/srv/data/migrated')) { ctx.ensureRunning('no marker yet'); await delay(100); }
 *   },
 * };
 */
export interface WaitStrategy {
  /** The strategy's own budget (its constructor's `timeoutMs`); `waitFor`'s option wins. */
  timeoutMs?: number;
  /** What is awaited, for errors: 'http://10.0.0.2:8080/ → 200'. */
  describe(record: ContainerRecord): string;
  /** Resolves when ready; returns (or throws with) the last thing seen. */
  wait(ctx: WaitContext): Promise<void>;
}

export const DEFAULT_WAIT_MS = 60_000;

/** The error every strategy gives when its time runs out. */
export function waitTimeout(name: string, what: string, ms: number, lastSeen: string): ConductorError {
  return new ConductorError(
    'WAIT_TIMEOUT',
    `container "${name}": ${what} not ready within ${ms} ms (last seen: ${lastSeen || 'nothing'})`,
    {
      hint: `see \`conductor logs ${name}\`, or raise timeoutMs`,
    },
  );
}

export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(t);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** How long the probes stay 50 ms apart: a service that starts within it is seen within 50 ms. */
const FAST_PROBES_MS = 2000;

/**
 * Probe until `probe` returns null (ready) or the deadline passes; `probe` returns what it saw
 * otherwise. Every 50 ms for the first 2 s (a local probe is cheap, and backing off from the start
 * overshot a gunicorn ready after 450 ms by 300 ms), then backing off to 500 ms between probes.
 */
export async function pollUntil(ctx: WaitContext, what: string, probe: () => Promise<string | null>): Promise<void> {
  let last = '';
  const fastUntil = Date.now() + FAST_PROBES_MS;
  for (let delay = 50; ; delay = Date.now() < fastUntil ? 50 : Math.min(delay * 2, 500)) {
    ctx.signal.throwIfAborted();
    const seen = await probe();
    if (seen === null) return;
    last = seen;
    ctx.ensureRunning(last);
    const left = ctx.deadline - Date.now();
    if (left <= 0) throw waitTimeout(ctx.name, what, ctx.timeoutMs, last);
    await sleep(Math.min(delay, left), ctx.signal);
  }
}

/**
 * Run a strategy against a container.
 * @example await waitFor('web1', Wait.forHttp({ port: 8080, path: '/health' }), { timeoutMs: 10_000 });
 */
export async function waitFor(name: string, strategy: WaitStrategy, opts: WaitOptions = {}): Promise<void> {
  const paths = resolvePaths(opts.root);
  const record = loadRecord(paths, name);
  if (!record)
    throw new ConductorError('CONTAINER_NOT_FOUND', `container "${name}" does not exist`, {
      hint: 'see `conductor ps -a`',
    });
  const ms = opts.timeoutMs ?? strategy.timeoutMs ?? DEFAULT_WAIT_MS;
  const what = strategy.describe(record);
  // One signal for the caller's abort; the deadline is checked by the strategies themselves, so a
  // timeout is a WAIT_TIMEOUT naming the last thing seen, not a bare AbortError.
  const signal = opts.signal ?? new AbortController().signal;
  const ctx: WaitContext = {
    name,
    root: opts.root,
    record,
    deadline: Date.now() + ms,
    timeoutMs: ms,
    signal,
    ensureRunning(lastSeen) {
      const rec = loadRecord(paths, name);
      if (!rec || statusOf(paths, rec) !== 'running') {
        throw new ConductorError(
          'CONTAINER_NOT_RUNNING',
          `container "${name}" ended while waiting for ${what} (last seen: ${lastSeen || 'nothing'})`,
          {
            hint: `see \`conductor logs ${name}\``,
          },
        );
      }
    },
  };
  await strategy.wait(ctx);
}
