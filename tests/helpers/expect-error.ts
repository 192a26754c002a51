import * as assert from 'uvu/assert';
import { isConductorError, type ErrorCode } from '../../sdk/errors.ts';

/** Run fn, require a ConductorError with this code, and return its message. */
export function failure(fn: () => unknown, code: ErrorCode): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isConductorError(e, code), `expected ${code}, got ${String(e)}`);
    return e.message;
  }
  return assert.unreachable('expected an error') as never;
}
