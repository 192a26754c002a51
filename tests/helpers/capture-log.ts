import type { Logger } from '../../sdk/log.ts';

export interface CapturedLog {
  log: Logger;
  /** Every line logged (raw child output included), in order. */
  lines(): string[];
  text(): string;
}

/** A Logger that records everything (and echoes it to stderr when CONDUCTOR_TEST_VERBOSE=1). */
export function captureLog(): CapturedLog {
  let buf = '';
  const echo = process.env.CONDUCTOR_TEST_VERBOSE === '1';
  const add = (s: string) => {
    buf += s;
    if (echo) process.stderr.write(s);
  };
  const log: Logger = {
    quiet: false,
    info: (m) => add(m + '\n'),
    step: (m) => add(m + '\n'),
    warn: (m) => add(`warning: ${m}\n`),
    error: (m) => add(`error: ${m}\n`),
    debug: () => {},
    raw: (c) => add(typeof c === 'string' ? c : Buffer.from(c).toString()),
  };
  return { log, lines: () => buf.split('\n').filter(Boolean), text: () => buf };
}
