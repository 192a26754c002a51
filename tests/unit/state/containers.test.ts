import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolvePaths } from '../../../sdk/config.ts';
import { containerPaths, infoOf, statusOf } from '../../../sdk/state/containers.ts';
import { refOf } from '../../../sdk/host/proc.ts';
import type { ContainerRecord, ProcessRef } from '../../../sdk/types.ts';

const root = mkdtempSync(path.join(tmpdir(), 'conductor-status-'));
const paths = resolvePaths(root, {});

function record(over: Partial<ContainerRecord>): ContainerRecord {
  return {
    name: 'web',
    image: 'img',
    command: ['sleep', '30'],
    env: [],
    workdir: '/',
    hostname: 'web',
    createdAt: new Date(0).toISOString(),
    detached: true,
    autoRemove: false,
    limits: {},
    cgroups: [],
    undo: [],
    ...over,
  } as ContainerRecord;
}

/** A real process for the test to point records at, and to kill. */
async function withProcess(fn: (ref: ProcessRef, kill: () => Promise<void>) => Promise<void>): Promise<void> {
  const child = spawn('/bin/sleep', ['30']);
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  };
  try {
    await fn(refOf(child.pid!)!, kill);
  } finally {
    await kill();
  }
}

test('statusOf: running while the recorded init lives, exited once it is dead', async () => {
  await withProcess(async (init, kill) => {
    const rec = record({ init });
    assert.is(statusOf(paths, rec), 'running');
    const info = infoOf(paths, rec);
    assert.is(info.pid, init.pid);
    assert.is(info.exitCode, null);
    await kill();
    assert.is(statusOf(paths, rec), 'exited');
    assert.is(infoOf(paths, rec).pid, null);
  });
});

test('statusOf: a live PID with another start time (reused) is not the container: exited', async () => {
  await withProcess(async (init) => {
    const reused = { pid: init.pid, startTime: String(Number(init.startTime) + 1) };
    assert.is(statusOf(paths, record({ init: reused })), 'exited');
  });
});

test('statusOf: created while a live run is making it, or while the monitor waits without an exit file', async () => {
  await withProcess(async (creator, kill) => {
    const rec = record({ creating: { by: creator, launchTag: 't' } } as Partial<ContainerRecord>);
    assert.is(statusOf(paths, rec), 'created');
    const monitored = record({ monitor: creator });
    assert.is(statusOf(paths, monitored), 'created');
    const cp = containerPaths(paths, 'web');
    mkdirSync(cp.dir, { recursive: true });
    writeFileSync(cp.exitCode, '3\n');
    assert.is(statusOf(paths, monitored), 'exited');
    assert.is(infoOf(paths, monitored).exitCode, 3);
    rmSync(cp.dir, { recursive: true });
    await kill();
    assert.is(statusOf(paths, rec), 'exited', 'a dead creator leaves an exited container behind');
  });
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
