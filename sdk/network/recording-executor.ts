/** An executor that changes nothing: it records each operation (and can be told to fail one). */
import { ConductorError } from '../errors.ts';
import type { Executor } from './executor.ts';
import type { HostOp } from '../types.ts';

export interface RecordedCall {
  mode: 'run' | 'undo';
  op: HostOp;
}

export interface RecordingExecutor extends Executor {
  readonly calls: RecordedCall[];
}

/**
 * Records every call; with `failAt: k`, the k-th `run` (0-based) throws COMMAND_FAILED after being
 * recorded, as a host tool would.
 * @example const ex = recordingExecutor({ failAt: 3 }); await apply(steps, { executor: ex }).catch(() => {}); ex.calls
 */
export function recordingExecutor(opts: { failAt?: number } = {}): RecordingExecutor {
  const calls: RecordedCall[] = [];
  let runs = 0;
  return {
    calls,
    async run(op) {
      calls.push({ mode: 'run', op });
      if (runs++ === opts.failAt)
        throw new ConductorError('COMMAND_FAILED', `recorded step ${opts.failAt} failed (as asked)`);
    },
    async undo(op) {
      calls.push({ mode: 'undo', op });
    },
  };
}
