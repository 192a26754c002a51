/**
 * Running plans: each step's undo is recorded (by the caller's `record`) before the step runs, so a
 * crash mid-way still leaves an undo for every change that may have been applied; a failed plan is
 * rolled back. Undos tolerate what is already gone.
 */
import { writeFileSync } from 'node:fs';
import type { Paths } from '../config.ts';
import { ConductorError, isConductorError } from '../errors.ts';
import { chainSetupText } from './chains.ts';
import { restoreTextToArgvs } from './firewall.ts';
import { describeCommand } from './describe.ts';
import { iptablesSave } from './facts.ts';
import { editHosts, hostLock, sysctlWrite } from './host-files.ts';
import { forwardingOn, forwardingRelease } from './ip-forward.ts';
import type { Step } from './plan.ts';
import { sh } from '../host/sh.ts';
import type { Logger } from '../log.ts';
import { updateRecord } from '../state/containers.ts';
import type { NetworkRecord, UndoStep } from '../types.ts';

const GONE = /does not exist|cannot find device|no such|bad rule|no chain|not found/i;

async function runInternal(argv: string[], input: string | undefined, log: Logger): Promise<void> {
  const [op, a, b, c, d] = argv;
  switch (op) {
    case '@sysctl': return sysctlWrite(a!, b!);
    case '@ip-forward': return a === 'hold' ? undefined : a === 'on' ? forwardingOn(log) : forwardingRelease(b!, log);
    case '@write': return writeFileSync(a!, input ?? ''); // truncates the same inode (bind mount)
    case '@hosts': return editHosts(a!, b!, c!, d!);
    default: throw new ConductorError('INVALID_ARGUMENT', `unknown internal step "${op}"`);
  }
}

async function runStep(s: Step, log: Logger): Promise<void> {
  log.debug(describeCommand(s).join('\n'));
  if (s.argv[0]!.startsWith('@')) await runInternal(s.argv, s.input, log);
  else await sh(s.argv, { input: s.input });
}

/** Run one undo, tolerating "already gone": failures are logged, never thrown. */
export async function runUndo(u: UndoStep, log: Logger): Promise<void> {
  log.debug(`undo: ${describeCommand(u).join('\n')}`);
  if (u.argv[0]!.startsWith('@')) {
    try {
      await runInternal(u.argv, u.input, log);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`undo "${u.about ?? u.argv[0]}": ${(e as Error).message}`);
    }
    return;
  }
  const res = await sh(u.argv, { input: u.input, nothrow: true });
  if (res.exitCode === 0) return;
  if (u.argv[0] === 'iptables-restore' && u.input) {
    // The batch is atomic: one rule already gone fails all of it. Retry rule by rule.
    for (const argv of restoreTextToArgvs(u.input)) {
      const r = await sh(argv, { nothrow: true });
      if (r.exitCode !== 0 && !GONE.test(r.stderr)) log.warn(`undo "${argv.join(' ')}": ${r.stderr.trim()}`);
    }
    return;
  }
  if (!GONE.test(res.stderr)) log.warn(`undo "${u.argv.join(' ')}": ${res.stderr.trim()}`);
}

const keyOf = (u: UndoStep) => JSON.stringify(u);

export async function dropUndos(paths: Paths, name: string, undos: UndoStep[], patch: (n: NetworkRecord | undefined) => NetworkRecord | undefined): Promise<void> {
  const keys = new Set(undos.map(keyOf));
  try {
    await updateRecord(paths, name, (r) => ({ ...r, undo: r.undo.filter((u) => !keys.has(keyOf(u))), network: patch(r.network) }));
  } catch (e) {
    if (!isConductorError(e, 'CONTAINER_NOT_FOUND')) throw e;
  }
}

export interface ApplyOptions {
  log: Logger;
  /** Persist an undo before its step runs (a crash right after still leaves it on disk). */
  record(u: UndoStep): Promise<void>;
  /** After a failed plan was rolled back: forget the undos `record` kept. */
  forget(done: UndoStep[]): Promise<void>;
}

/**
 * Run a plan, recording each undo before its step. On failure, the undos recorded so far are
 * replayed in reverse and forgotten, then the error is rethrown.
 * @example await applyPlan(steps, { log, record: async (u) => journal.push(u), forget: async () => {} });
 */
export async function applyPlan(steps: Step[], opts: ApplyOptions): Promise<void> {
  const done: UndoStep[] = [];
  try {
    for (const s of steps) {
      if (s.undo) {
        await opts.record(s.undo);
        done.push(s.undo);
      }
      await runStep(s, opts.log);
    }
  } catch (e) {
    await replayUndos(done, opts.log);
    await opts.forget(done);
    throw e;
  }
}

/** Replay undos newest first, tolerating what is already gone (never throws). */
export async function replayUndos(undos: UndoStep[], log: Logger): Promise<void> {
  for (const u of [...undos].reverse()) await runUndo(u, log);
}

/** applyPlan with the undos kept in every owner's record. */
export async function runPlan(paths: Paths, owners: string[], steps: Step[], log: Logger, onRollback: (n: NetworkRecord | undefined) => NetworkRecord | undefined): Promise<void> {
  await applyPlan(steps, {
    log,
    record: async (u) => {
      for (const o of owners) await updateRecord(paths, o, (r) => ({ ...r, undo: [...r.undo, u] }));
    },
    forget: async (done) => {
      for (const o of owners) await dropUndos(paths, o, done, onRollback);
    },
  });
}

/** Create conductor's chains and hooks if any is missing; under a host-wide lock, re-checked. */
export async function ensureChains(save: string, log: Logger): Promise<void> {
  if (chainSetupText(save) === null) return;
  await hostLock('iptables', async () => {
    const text = chainSetupText(await iptablesSave());
    if (text === null) return;
    log.debug(describeCommand({ argv: ['iptables-restore', '-w', '--noflush'], input: text }).join('\n'));
    await sh(['iptables-restore', '-w', '--noflush'], { input: text });
  });
}
