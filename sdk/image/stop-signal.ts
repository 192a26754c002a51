import { ConductorError } from '../errors.ts';

// Linux's generic numbering (x86, arm, arm64, riscv, s390x, ppc); glibc reserves 32 and 33, so the
// first real-time signal a program can use is 34, as moby/sys/signal numbers them.
const SIGNALS: Readonly<Record<string, number>> = Object.freeze({
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
});

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

/** SIGTERM: what stop sends when an image names no STOPSIGNAL. */
export const DEFAULT_STOP_SIGNAL = 15;

function invalid(raw: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid stop signal ${JSON.stringify(raw)}`, {
    hint: `use a name such as SIGTERM, TERM or SIGRTMIN+3, or a number from 1 to ${SIGRTMAX}`,
  });
}

/**
 * A signal name or number as Docker's STOPSIGNAL and `--stop-signal` accept it (moby/sys/signal
 * ParseSignal): a decimal number, or a name with or without `SIG`, any case; RTMIN+n and RTMAX-n
 * within the real-time range. Throws INVALID_ARGUMENT otherwise (0 included: it sends nothing).
 *
 * @example
 * parseStopSignal('SIGQUIT');      // 3
 * parseStopSignal('term');         // 15
 * parseStopSignal('9');            // 9
 * parseStopSignal('SIGRTMIN+3');   // 37
 * parseStopSignal('RTMAX');        // 64
 */
export function parseStopSignal(raw: string): number {
  if (/^[0-9]+$/.test(raw)) {
    const n = Number(raw);
    if (n < 1 || n > SIGRTMAX) throw invalid(raw);
    return n;
  }
  const name = raw.toUpperCase().replace(/^SIG/, '');
  const known = SIGNALS[name];
  if (known !== undefined) return known;
  const rt = /^RT(MIN|MAX)(?:([+-])([0-9]{1,2}))?$/.exec(name);
  if (rt) {
    const offset = rt[3] === undefined ? 0 : Number(rt[3]);
    if ((rt[1] === 'MIN' && rt[2] === '-') || (rt[1] === 'MAX' && rt[2] === '+')) throw invalid(raw);
    const n = rt[1] === 'MIN' ? SIGRTMIN + offset : SIGRTMAX - offset;
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw invalid(raw);
}
