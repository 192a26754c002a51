import type { ChalkInstance } from 'chalk';
import { isatty } from 'node:tty';

/** Progress and diagnostics; always stderr. Data for the user goes to stdout from scripts/, never here. */
export interface Logger {
  info(msg: string): void;
  step(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
  /** Raw bytes from a child (RUN output), passed through untouched. */
  raw(chunk: string | Uint8Array): void;
  readonly quiet: boolean;
}

let chalkPromise: Promise<ChalkInstance> | undefined;
let chalk: ChalkInstance | undefined;

/** fd 2's own test: asking process.stderr.isTTY would first build the stream, on every command. */
function useColor(): boolean {
  return !process.env.NO_COLOR && isatty(2);
}

/**
 * Load the colours (chalk) if stderr will show them; until then, and without, text stays plain.
 * chalk costs ~40 ms to import: it is only loaded when colour will actually be shown.
 * @example await loadColors(); process.stderr.write(colorize('red', 'error: ...') + '\n');
 */
export async function loadColors(): Promise<void> {
  if (!useColor() || chalk) return;
  chalkPromise ??= import('chalk').then((m) => m.default);
  chalk = await chalkPromise;
}

function paint(kind: 'bold' | 'yellow' | 'red' | 'dim' | 'cyan', s: string): string {
  if (!chalk || !useColor()) return s;
  return chalk[kind](s);
}

export interface LoggerOptions {
  quiet?: boolean;
  debug?: boolean;
  stream?: NodeJS.WritableStream;
}

/**
 * A logger writing one line per message to stderr (or `opts.stream`): `info` and `step` unless
 * `quiet`, `warn` and `error` always (prefixed, in colour on a TTY unless NO_COLOR is set), `debug`
 * only with `opts.debug` or CONDUCTOR_DEBUG=1. Colour needs loadColors() first.
 *
 * @example
 * const log = createLogger({ quiet: true });
 * await buildImage('web', { file: 'Conductorfile', log });
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  // process.stderr only once there is something to write: a command that succeeds quietly never builds it.
  const out = (): NodeJS.WritableStream => opts.stream ?? process.stderr;
  const quiet = Boolean(opts.quiet);
  const dbg = opts.debug ?? process.env.CONDUCTOR_DEBUG === '1';
  const line = (s: string) => out().write(s + '\n');
  return {
    quiet,
    info: (m) => {
      if (!quiet) line(m);
    },
    step: (m) => {
      if (!quiet) line(paint('bold', m));
    },
    warn: (m) => line(paint('yellow', `warning: ${m}`)),
    error: (m) => line(paint('red', `error: ${m}`)),
    debug: (m) => {
      if (dbg) line(paint('dim', m));
    },
    raw: (c) => {
      if (!quiet) out().write(c);
    },
  };
}

/**
 * A logger that drops everything, warnings and errors included: for tests and for scripts that
 * report failures through the errors conductor throws.
 *
 * @example
 * await stop('web', { log: silentLogger() });
 */
export function silentLogger(): Logger {
  const nop = () => {};
  return { quiet: true, info: nop, step: nop, warn: nop, error: nop, debug: nop, raw: nop };
}

/**
 * `s` in a colour when stderr shows colours (after `loadColors`; never with NO_COLOR), else as it is.
 * @example colorize('yellow', 'warning: ...');
 */
export function colorize(kind: 'bold' | 'yellow' | 'red' | 'dim' | 'cyan', s: string): string {
  return paint(kind, s);
}
