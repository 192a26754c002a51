/**
 * run's last part: starting the planned container detached (the monitor outlives the caller) or
 * attached (the caller waits for the exit code, forwarding signals), and completing its record.
 */
import { readFileSync } from 'node:fs';
import { LOG_MAX_BYTES, type Paths } from '../config.ts';
import { ConductorError, isConductorError } from '../errors.ts';
import { forwardSignals, signalRef } from '../host/proc.ts';
import type { LaunchSpec } from '../launch/launch-plan.ts';
import { launchAttached, launchDetached, LaunchError, type BeforeStart } from '../launch/launcher.ts';
import { oomKilled } from '../limits/cgroup-read.ts';
import { containerPaths, updateRecord } from '../state/containers.ts';
import type { ContainerRecord, ProcessRef } from '../types.ts';
import type { RunOptions, RunResult } from './run.ts';
import { removeContainer } from './stop.ts';

/** The launch is recorded: from here on the container is stop's and prune's like any other. */
function complete(rec: ContainerRecord): ContainerRecord {
  const { creating: _, ...rest } = rec;
  return rest;
}

export async function startDetached(
  paths: Paths,
  name: string,
  spec: LaunchSpec,
  fds: number[],
  tty: boolean,
  beforeStart?: BeforeStart,
): Promise<RunResult> {
  const cp = containerPaths(paths, name);
  try {
    const started = await launchDetached(spec, {
      log: cp.log,
      exitFile: cp.exitCode,
      logMaxBytes: LOG_MAX_BYTES,
      extraFds: fds,
      tty,
      beforeStart,
    });
    const record = await updateRecord(paths, name, (r) =>
      complete({ ...r, monitor: started.monitor, init: started.init ?? r.init }),
    );
    return { record };
  } catch (e) {
    if (e instanceof LaunchError) {
      const why = tail(cp.log) || `exit code ${e.exitCode}`;
      throw new ConductorError('START_FAILED', `container "${name}" failed to start: ${why}`);
    }
    throw e;
  }
}

export async function startAttached(
  paths: Paths,
  name: string,
  spec: LaunchSpec,
  fds: number[],
  opts: RunOptions,
  beforeStart?: BeforeStart,
): Promise<RunResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const collect = opts.output === 'collect';
  // The init goes into the record while the helper sets up, not after (see onPid); not for a run
  // wired up before its command starts (beforeStart): that one stays `creating` until it is.
  let recorded: Promise<ContainerRecord> | undefined;
  const recordInit = (init: ProcessRef | null) =>
    updateRecord(paths, name, (r) => complete({ ...r, init: init ?? r.init }));
  const started = await launchAttached(spec, {
    stdin: opts.interactive ? 'inherit' : 'ignore',
    tty: Boolean(opts.tty),
    onOutput: collect ? (c, s) => (s === 'stdout' ? out : err).push(c) : undefined,
    extraFds: fds,
    beforeStart,
    onPid: beforeStart
      ? undefined
      : (init) => {
          recorded = recordInit(init);
          recorded.catch(() => {}); // awaited below, where its failure is the run's
        },
  }).catch(async (e: unknown) => {
    await recorded?.catch(() => {}); // never leave a record write behind a failed launch
    throw e;
  });
  const attachedRec = await (recorded && started.init ? recorded : recordInit(started.init));
  const { cgroups } = attachedRec;
  const init = started.init;
  const unforward = forwardSignals(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'], (sig) => {
    if (init) signalRef(init, sig);
  });
  let exitCode: number;
  try {
    exitCode = (await started.exit).exitCode;
  } finally {
    unforward();
  }
  const oom = oomKilled(cgroups);
  const finished = (r: ContainerRecord): ContainerRecord => ({ ...r, exitCode, finishedAt: new Date().toISOString() });
  // --rm: the record is removed next, so the result is not written first. Otherwise a `stop` that
  // killed it may have removed the record already: the exit code is still the answer.
  const record = opts.rm
    ? finished(attachedRec)
    : await updateRecord(paths, name, finished).catch((e: unknown) => {
        if (isConductorError(e, 'CONTAINER_NOT_FOUND')) return finished(attachedRec);
        throw e;
      });
  const result: RunResult = { record, exitCode, oomKilled: oom };
  if (collect) {
    result.stdout = Buffer.concat(out).toString();
    result.stderr = Buffer.concat(err).toString();
  }
  if (opts.rm) await removeContainer(paths, name, { timeoutSeconds: 0, asCreator: true });
  return result;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' / ');
  } catch {
    return '';
  }
}
