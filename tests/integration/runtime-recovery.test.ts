// Root integration tests of the container runtime through the SDK: state comes from the kernel: killed inits, reused
// and dead PIDs, runs killed half-way.
// One temp state root with one small image over the shared cached base; every test stops what it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { rejectsWith, sleep, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { exec, inspect, ps, stop } from '../../sdk/index.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { root, dirOf, statePath, readState, runDetached, cgroupDirsOf, pidAlive, assertClean } =
  await runtimeSuite('rt-recovery');

test('an init killed from outside shows as exited, not running', async () => {
  const name = uniqueName('kill');
  try {
    const c = await runDetached(name);
    assert.ok(c.pid && pidAlive(c.pid));
    process.kill(c.pid!, 'SIGKILL'); // the init we started
    const info = await until(
      'status exited',
      async () => {
        const i = (await ps({ root, all: true })).find((x) => x.name === name);
        return i?.status === 'exited' ? i : null;
      },
      5000,
    );
    assert.is(info.pid, null);
    assert.is(info.exitCode, 137, 'SIGKILL is reported as 128+9, as Docker does');
    assert.not.ok((await ps({ root })).some((x) => x.name === name));
    await rejectsWith(exec(name, ['true'], { root }), 'CONTAINER_NOT_RUNNING');
    const r = await stop(name, { root, timeoutSeconds: 0 });
    assert.is(r.killed, false, 'nothing left to kill');
    assert.not.ok(existsSync(dirOf(name)));
  } finally {
    await stopQuiet(root, name);
  }
});

test("a detached container's own exit code is recorded and shown by ps and stop", async () => {
  const name = uniqueName('exit');
  try {
    await runDetached(name, ['sh', '-c', 'sleep 0.2; exit 4']);
    const info = await until(
      'status exited',
      async () => {
        const i = (await ps({ root, all: true })).find((x) => x.name === name);
        return i?.status === 'exited' ? i : null;
      },
      5000,
    );
    assert.is(info.exitCode, 4);
    const r = await stop(name, { root, timeoutSeconds: 0 });
    assert.is(r.exitCode, 4);
    assert.is(r.killed, false);
  } finally {
    await stopQuiet(root, name);
  }
});

test('a record whose init PID is reused: exited, and stop never signals that process', async () => {
  const name = uniqueName('reuse');
  const gotSignals: string[] = [];
  const onSig = (s: NodeJS.Signals) => gotSignals.push(s);
  const sigs = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;
  try {
    const c = await runDetached(name);
    const realInit = c.pid!;
    const rec = readState(name);
    // This test process: alive, but not the process the record meant.
    writeFileSync(statePath(name), JSON.stringify({ ...rec, init: { pid: process.pid, startTime: '1' } }, null, 2));
    const info = (await ps({ root, all: true })).find((x) => x.name === name);
    assert.is(info?.status, 'exited', 'a live PID with the wrong start time is not the container');
    assert.is(info?.pid, null);
    assert.is((await inspect(name, { root })).status, 'exited');
    await rejectsWith(exec(name, ['true'], { root }), 'CONTAINER_NOT_RUNNING');
    for (const s of sigs) process.on(s, onSig);
    await stop(name, { root, timeoutSeconds: 1 });
    await sleep(50); // let any signal sent to us be delivered before we look
    assert.equal(gotSignals, [], 'stop signalled the process the stale record named');
    // The real container still went away with its cgroups and monitor.
    await until('the real init to be gone', () => !pidAlive(realInit), 5000);
    assert.not.ok(existsSync(dirOf(name)));
  } finally {
    for (const s of sigs) process.off(s, onSig);
    await stopQuiet(root, name);
  }
});

test('a record naming a dead PID is exited; stop and exec do not touch the host', async () => {
  const name = uniqueName('dead');
  // A PID that existed and is now reaped: ours, so certainly not reused by the container.
  const gone = spawnSync('true').pid!;
  const marker = `/tmp/conductor-exec-marker-${randomBytes(6).toString('hex')}`;
  try {
    const c = await runDetached(name);
    const rec = readState(name);
    writeFileSync(
      statePath(name),
      JSON.stringify({ ...rec, init: { pid: gone, startTime: rec.init!.startTime } }, null, 2),
    );
    assert.is((await inspect(name, { root })).status, 'exited');
    await rejectsWith(exec(name, ['touch', marker], { root }), 'CONTAINER_NOT_RUNNING');
    assert.not.ok(existsSync(marker), 'exec ran nothing on the host');
    await stop(name, { root, timeoutSeconds: 0 });
    await until('the real init to be gone', () => !pidAlive(c.pid!), 5000);
  } finally {
    await stopQuiet(root, name);
  }
});

test('a run killed before it recorded its cgroups: stop still removes them and what is in them', async () => {
  const name = uniqueName('cgrec');
  try {
    const c = await runDetached(name);
    const rec = readState(name);
    assert.ok(rec.cgroups.length >= 1);
    assert.equal(cgroupDirsOf(name).sort(), [...rec.cgroups].sort());
    // As if `run` died between creating the cgroups and saving them (and before recording the init).
    writeFileSync(
      statePath(name),
      JSON.stringify({ ...rec, cgroups: [], init: undefined, monitor: undefined }, null, 2),
    );
    await stop(name, { root, timeoutSeconds: 0 });
    assert.equal(cgroupDirsOf(name), [], 'cgroups removed');
    await until('the init to be gone', () => !pidAlive(c.pid!), 5000);
    assert.not.ok(existsSync(dirOf(name)));
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
