/**
 * Running plans: `apply(steps, { journal, executor })` records each step's undo in the journal
 * before the step runs, so a crash mid-way still leaves an undo for every change that may have been
 * applied; a step that fails rolls back what was done, newest first. Undos tolerate what is already
 * gone. The executor is the host's by default; tests and `--dry-run` pass a recording one.
 */
import { chainSetupText } from './chains.ts';
import { ipsetRestoreArgv, setCreateText } from './sets.ts';
import { describeCommand } from './describe.ts';
import { hostExecutor, type Executor } from './executor.ts';
import { iptablesSave } from './facts.ts';
import { hostLock } from './host-files.ts';
import type { Step } from './plan.ts';
import { sh } from '../host/sh.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { UndoStep } from '../types.ts';

/** Where a plan's undos are kept while it applies (a container record, a build's journal file). */
export interface Journal {
  /** Persist an undo before its step runs (a crash right after still leaves it on disk). */
  record(u: UndoStep): void | Promise<void>;
  /** After a failed plan was rolled back: forget the undos `record` kept. */
  forget(undone: UndoStep[]): void | Promise<void>;
}

export interface ApplyOptions {
  journal?: Journal;
  /** Default: the host's (hostExecutor). */
  executor?: Executor;
  log?: Logger;
}

const NO_JOURNAL: Journal = { record() {}, forget() {} };

/**
 * Run a plan, the journal recording each undo before its step. When step k fails, its own undo
 * (a step can fail half-way: iptables-restore commits table by table) and those of steps k-1..0
 * run, newest first; the journal forgets them; the error is rethrown.
 * @example await apply(steps, { journal: { record: (u) => undos.push(u), forget: () => {} } });
 */
export async function apply(steps: Step[], opts: ApplyOptions = {}): Promise<void> {
  const executor = opts.executor ?? hostExecutor(opts.log ?? silentLogger());
  const journal = opts.journal ?? NO_JOURNAL;
  const done: UndoStep[] = [];
  try {
    for (const s of steps) {
      if (s.undo) {
        await journal.record(s.undo);
        done.push(s.undo);
      }
      await executor.run(s.op);
    }
  } catch (e) {
    await replayUndos(done, { executor });
    await journal.forget(done);
    throw e;
  }
}

/**
 * Replay undos newest first, tolerating what is already gone (never throws).
 * @example await replayUndos(rec.undo, { log });
 */
export async function replayUndos(undos: UndoStep[], opts: { executor?: Executor; log?: Logger } = {}): Promise<void> {
  const executor = opts.executor ?? hostExecutor(opts.log ?? silentLogger());
  for (const u of [...undos].reverse()) await executor.undo(u.op);
}

/** Create conductor's sets, chains and hooks if any is missing; under a host-wide lock, re-checked. */
export async function ensureChains(save: string, log: Logger): Promise<void> {
  if (chainSetupText(save) === null) return;
  await hostLock('iptables', async () => {
    const text = chainSetupText(await iptablesSave());
    if (text === null) return;
    // The sets first: a rule naming a set that does not exist is refused.
    const create = setCreateText();
    log.debug(describeCommand({ kind: 'exec', argv: ipsetRestoreArgv('create'), input: create }).join('\n'));
    await sh(ipsetRestoreArgv('create'), { input: create });
    const argv = ['iptables-restore', '-w', '--noflush'];
    log.debug(describeCommand({ kind: 'exec', argv, input: text }).join('\n'));
    await sh(argv, { input: text });
  });
}
