/** `logs --since`: a duration back from now (10s, 5m, 1h30m, 250ms) or an RFC 3339 time. Pure. */
import { ConductorError } from '../errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
// RFC 3339: a date, 'T' or a space, a time, an optional fraction, then Z or an offset (required:
// a time without a zone would silently mean the host's).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The epoch milliseconds a `since` value names, relative to `now` for durations.
 * @example parseSince('10s', Date.parse('2025-01-01T00:00:10Z')); // Date.parse('2025-01-01T00:00:00Z')
 * @example parseSince('2025-01-01T00:00:00Z', Date.now());
 */
export function parseSince(value: string | number | Date, now: number): number {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(String(value));
    return value.getTime();
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(String(value));
    return value;
  }
  const v = value.trim();
  if (DURATION.test(v)) {
    let ms = 0;
    for (const [, n, unit] of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit!]!;
    return now - ms;
  }
  if (RFC3339.test(v)) {
    const t = Date.parse(v.replace(' ', 'T'));
    if (!Number.isNaN(t)) return t;
  }
  throw invalid(value);
}

function invalid(v: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid --since "${v}"`, {
    hint: 'use a duration such as 10s, 5m, 1h30m or an RFC 3339 time such as 2025-01-01T12:00:00Z',
  });
}
