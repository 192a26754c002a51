/**
 * logs: a detached container's output as lines, read in bounded chunks (never the whole file in
 * memory), optionally from the last N lines, since a time, with timestamps, and followed until the
 * container ends or a signal aborts. The log is capped and append-only (native/monitor.c), so a
 * reader only ever keeps an offset.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { LOG_MAX_BYTES, resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { isAlive } from '../host/proc.ts';
import { validateName } from '../names.ts';
import { containerPaths, loadRecord, requireRecord } from '../state/containers.ts';
import { LineReader, tailOffset } from './line-reader.ts';
import { parseSince } from './since.ts';
import { TimeCursor } from './times.ts';

/**
 * Which lines `logs` gives, and whether it follows the log.
 * @example const opts: LogsOptions = { tail: 100, since: '10m', timestamps: true };
 */
export interface LogsOptions extends CommonOptions {
  /** Keep reading as the container writes, until it ends (or `signal` aborts). */
  follow?: boolean;
  /** Only the last N lines (before following). */
  tail?: number;
  /** Only lines written at or after this time: a Date, epoch ms, a duration back ('10s', '5m') or RFC 3339. */
  since?: Date | number | string;
  /** Prefix each line with the RFC 3339 time it was written ('2025-01-01T12:00:00.123Z line'). */
  timestamps?: boolean;
  /** Ends the iteration (quietly: no error) — how a followed log is left. */
  signal?: AbortSignal;
}

/**
 * What `logs` returns: iterate it for lines (without their newlines), `await` it for the whole
 * capped text as before, or take `stream()` for a byte stream of the same lines.
 * @example
 * const lines: LogLines = logs('web1', { tail: 3 });
 * const text = await lines; // or: for await (const line of lines) ..., or lines.stream().pipe(process.stdout)
 */
export interface LogLines extends AsyncIterable<string>, PromiseLike<string> {
  stream(): Readable;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** True while something may still append to the log: the container's init or its monitor (draining). */
function writing(paths: Paths, name: string): boolean {
  const rec = loadRecord(paths, name);
  return rec !== null && !rec.stopping && (isAlive(rec.init) || isAlive(rec.monitor));
}

function openLog(file: string): number | null {
  try {
    return openSync(file, 'r');
  } catch {
    return null;
  }
}

async function* lines(paths: Paths, name: string, opts: LogsOptions): AsyncGenerator<string> {
  const file = containerPaths(paths, name).log;
  const since = opts.since === undefined ? null : parseSince(opts.since, Date.now());
  const dated = opts.timestamps || since !== null;
  let fd = openLog(file);
  // A container still starting has no log yet: a follower waits for it.
  for (
    let delay = 5;
    fd === null && opts.follow && !opts.signal?.aborted && writing(paths, name);
    delay = Math.min(delay * 2, 100)
  ) {
    await sleep(delay, opts.signal);
    fd = openLog(file);
  }
  if (fd === null) return;
  const times = dated ? new TimeCursor(`${file}.times`) : null;
  try {
    const reader = new LineReader(fd, opts.tail === undefined ? 0 : tailOffset(fd, opts.tail));
    const emit = (l: { offset: number; text: string }): string | null => {
      const t = times?.timeAt(l.offset) ?? null;
      if (since !== null && t !== null && t < since) return null;
      return opts.timestamps ? `${t === null ? '-' : new Date(t).toISOString()} ${l.text}` : l.text;
    };
    for (let delay = 5; ;) {
      if (opts.signal?.aborted) return;
      const l = reader.next();
      if (l) {
        delay = 5;
        const out = emit(l);
        if (out !== null) yield out;
        continue;
      }
      // At the end. While the writer runs, wait for more; once it is gone (checked before the
      // last reads, so nothing written just before it ended is missed), drain and stop.
      if (!(opts.follow && writing(paths, name))) {
        for (let last = reader.next(); last; last = reader.next()) {
          const out = emit(last);
          if (out !== null) yield out;
        }
        const rest = reader.rest();
        const out = rest && emit(rest);
        if (out) yield out;
        return;
      }
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, 100);
    }
  } finally {
    times?.close();
    closeSync(fd);
  }
}

/**
 * A detached container's output, line by line.
 * @example
 * for await (const line of logs('web1', { tail: 3 })) console.log(line);
 * @example
 * // follow until the container ends or 5 s pass
 * const opts = { follow: true, timestamps: true, signal: AbortSignal.timeout(5000) };
 * for await (const line of logs('web1', opts)) console.log(line);
 * @example
 * const text = await logs('web1'); // the whole (capped, 10 MiB) log as one string
 */
export function logs(name: string, opts: LogsOptions = {}): LogLines {
  validateName('container', name);
  const paths = resolvePaths(opts.root);
  requireRecord(paths, name);
  if (opts.tail !== undefined && !(Number.isInteger(opts.tail) && opts.tail >= 0)) {
    throw new ConductorError('INVALID_ARGUMENT', `invalid tail "${opts.tail}"`, {
      hint: 'a whole number of lines, 0 or more',
    });
  }
  const iterate = () => lines(paths, name, opts);
  return {
    [Symbol.asyncIterator]: iterate,
    stream: () =>
      Readable.from(
        (async function* () {
          for await (const l of iterate()) yield `${l}\n`;
        })(),
      ),
    then(onFulfilled, onRejected) {
      return text(paths, name).then(onFulfilled, onRejected);
    },
  };
}

/** The whole log as text (capped at the log's own cap), for `await logs(name)`. */
async function text(paths: Paths, name: string): Promise<string> {
  const fd = openLog(containerPaths(paths, name).log);
  if (fd === null) return '';
  try {
    const chunks: Buffer[] = [];
    for (let total = 0; total < LOG_MAX_BYTES;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, LOG_MAX_BYTES - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The container's log as a byte stream, read as it is consumed (`conductor logs` pipes it to
 * stdout): never the whole file in memory. Empty if the container has no log yet.
 * @example logStream('es-cont').pipe(process.stdout);
 */
export function logStream(name: string, opts: CommonOptions = {}): Readable {
  validateName('container', name);
  const paths = resolvePaths(opts.root);
  requireRecord(paths, name);
  const file = containerPaths(paths, name).log;
  const fd = openLog(file);
  if (fd === null) return Readable.from([]);
  return createReadStream(file, { fd, highWaterMark: 64 * 1024 });
}
