/**
 * The executor: the one place host operations become real. `hostExecutor` changes this machine;
 * `recordingExecutor` (pure) only notes what it was asked, for `--dry-run` and for unit tests that
 * make a chosen step fail.
 */
import { writeFileSync } from 'node:fs';
import { describeCommand } from './describe.ts';
import { restoreTextToArgvs } from './firewall.ts';
import { editHosts, sysctlWrite } from './host-files.ts';
import { forwardingOn, forwardingRelease } from './ip-forward.ts';
import { sh } from '../host/sh.ts';
import type { Logger } from '../log.ts';
import type { HostOp } from '../types.ts';

export interface Executor {
  /** Make one change; throws when it fails. */
  run(op: HostOp): Promise<void>;
  /** Reverse one change, tolerating what is already gone; other failures are logged, never thrown. */
  undo(op: HostOp): Promise<void>;
}

/** What undo tools say when the thing to remove is not there (any more). */
const GONE = /does not exist|cannot find device|no such|bad rule|no chain|not found/i;

async function runInProcess(op: Exclude<HostOp, { kind: 'exec' }>, log: Logger): Promise<void> {
  switch (op.kind) {
    case 'sysctl':
      return sysctlWrite(op.key, op.value);
    case 'write-in-place':
      return writeFileSync(op.file, op.content); // truncates the same inode (bind mount)
    case 'hosts':
      return editHosts(op.action, op.file, op.ip, op.name);
    case 'forwarding-hold':
      return;
    case 'forwarding-on':
      return forwardingOn(log);
    case 'forwarding-release':
      return forwardingRelease([op.tag], log);
  }
}

/**
 * The real executor: host tools through sh(), in-process operations (sysctl, in-place writes,
 * hosts lines, ip_forward) directly.
 * @example await apply(steps, { executor: hostExecutor(log) })
 */
export function hostExecutor(log: Logger): Executor {
  return {
    async run(op) {
      log.debug(describeCommand(op).join('\n'));
      if (op.kind === 'exec') await sh(op.argv, { input: op.input });
      else await runInProcess(op, log);
    },
    async undo(op) {
      log.debug(`undo: ${describeCommand(op).join('\n')}`);
      if (op.kind !== 'exec') {
        try {
          await runInProcess(op, log);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
            log.warn(`undo "${describeCommand(op)[0]}": ${(e as Error).message}`);
        }
        return;
      }
      const res = await sh(op.argv, { input: op.input, nothrow: true });
      if (res.exitCode === 0) return;
      if (op.argv[0] === 'iptables-restore' && op.input) {
        // The batch is atomic: one rule already gone fails all of it. Retry rule by rule.
        for (const argv of restoreTextToArgvs(op.input)) {
          const r = await sh(argv, { nothrow: true });
          if (r.exitCode !== 0 && !GONE.test(r.stderr)) log.warn(`undo "${argv.join(' ')}": ${r.stderr.trim()}`);
        }
        return;
      }
      if (!GONE.test(res.stderr)) log.warn(`undo "${op.argv.join(' ')}": ${res.stderr.trim()}`);
    },
  };
}
