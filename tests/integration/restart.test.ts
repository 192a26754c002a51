// Root integration tests of restart policies (`run -d --restart`): the monitor starts the container
// again after it exits, with Docker's backoff, in the same network namespace and root filesystem,
// until its policy says no more or `stop` ends it for good.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { rejectsWith, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { exec, inspect, stop, wait } from '../../sdk/index.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';
import { isAlive, loadRecord, internalPaths } from '../helpers/internals.ts';

const { root, dirOf, runDetached, cgroupDirsOf, assertClean } = await runtimeSuite('rt-restart');

/** The lines of the container's upper layer file (what it wrote at each start). */
const startsOf = (name: string): number[] => {
  const file = `${dirOf(name)}/upper/starts`;
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map(Number) : [];
};

test('--restart on-failure:2 on a command that exits 3: restarted twice, then exited with 3', async () => {
  const name = uniqueName('onfail');
  try {
    await runDetached(name, ['sh', '-c', 'date +%s%N >> /starts; echo started; exit 3'], {
      restart: 'on-failure:2',
    });
    assert.is(await wait(name, { root }), 3);
    const info = await inspect(name, { root });
    assert.is(info.status, 'exited');
    assert.is(info.exitCode, 3);
    assert.is(info.restartCount, 2);
    assert.is(info.restartPolicy, 'on-failure:2');
    assert.is(startsOf(name).length, 3, 'one first start and two restarts');
    assert.is(readFileSync(info.logPath, 'utf8'), 'started\n'.repeat(3), 'every start logs to the same log');
    // Docker's backoff: 100 ms before the first restart, 200 ms before the second.
    const [a, b, c] = startsOf(name).map((ns) => ns / 1e6);
    assert.ok(b! - a! >= 100, `first restart after ${b! - a!} ms`);
    assert.ok(c! - b! >= 200, `second restart after ${c! - b!} ms`);
  } finally {
    await stopQuiet(root, name);
  }
});

test('on-failure does not restart a command that succeeds; a bad policy is refused and creates nothing', async () => {
  const name = uniqueName('onok');
  try {
    await runDetached(name, ['true'], { restart: 'on-failure' });
    assert.is(await wait(name, { root }), 0);
    assert.is((await inspect(name, { root })).restartCount, 0);
  } finally {
    await stopQuiet(root, name);
  }
  const bad = uniqueName('badpol');
  for (const restart of ['sometimes', 'always:3', 'on-failure:0', 'on-failure:x']) {
    await rejectsWith(runDetached(bad, ['true'], { restart }), 'INVALID_ARGUMENT', restart);
  }
  await rejectsWith(runDetached(bad, ['true'], { restart: 'always', detach: false }), 'INVALID_ARGUMENT', 'attached');
  await rejectsWith(runDetached(bad, ['true'], { restart: 'always', rm: true }), 'INVALID_ARGUMENT', '--rm');
  assert.not.ok(existsSync(dirOf(bad)), 'nothing created for a refused policy');
});

test('a container that never reaches its command is not restarted', async () => {
  const name = uniqueName('nocmd');
  try {
    await rejectsWith(runDetached(name, ['no-such-command-xyz'], { restart: 'always' }), 'START_FAILED');
    assert.not.ok(existsSync(dirOf(name)), 'the failed run removed what it made');
  } finally {
    await stopQuiet(root, name);
  }
});

test('a restart keeps the network and the filesystem; stop ends an always-restarting container for good', async () => {
  const name = uniqueName('always');
  try {
    // Fails twice, then (its third start) stays up: the upper layer counts the starts.
    const script = 'date +%s%N >> /starts; [ $(wc -l < /starts) -ge 3 ] && exec sleep infinity; exit 1';
    // The network is wired before the first start: the first two starts end at once.
    const net = await runDetached(name, ['sh', '-c', script], { restart: 'always', network: {} });
    const firstInit = loadRecord(internalPaths(root), name)!.init!;
    const now = await until('the third start', async () => {
      const i = await inspect(name, { root });
      return i.status === 'running' && i.restartCount === 2 && startsOf(name).length === 3 ? i : null;
    });
    assert.is.not(now.pid, firstInit.pid, 'a new init');
    const fib = await exec(name, ['cat', '/proc/net/fib_trie'], { root });
    assert.ok(fib.stdout.includes(net.ip!), 'the restarted container has the address its network gave it');
    const monitor = loadRecord(internalPaths(root), name)!.monitor!;
    const cgroups = cgroupDirsOf(name);
    const r = await stop(name, { root, timeoutSeconds: 1 });
    assert.is(r.exitCode, 137, 'sleep as PID 1 ignores SIGTERM: killed after the grace period');
    assert.not.ok(isAlive(monitor), 'the monitor is gone');
    assert.not.ok(existsSync(dirOf(name)), 'removed');
    assert.ok(
      cgroups.every((d) => !existsSync(d)),
      'its cgroups are gone',
    );
  } finally {
    await stopQuiet(root, name);
  }
});

test('stop of a restarting container whose init ignores SIGTERM: killed after the grace period, not restarted', async () => {
  const name = uniqueName('ignterm');
  try {
    await runDetached(name, ['sleep', 'infinity'], { restart: 'always' });
    const monitor = loadRecord(internalPaths(root), name)!.monitor!;
    const r = await stop(name, { root, timeoutSeconds: 1 });
    assert.is(r.exitCode, 137);
    assert.ok(r.killed);
    assert.not.ok(isAlive(monitor), 'no restart after stop');
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
