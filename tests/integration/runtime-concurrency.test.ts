// Root integration tests of the container runtime through the SDK: concurrent runs with one name and many names.
// One temp state root with one small image over the shared cached base; every test stops what it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { inspect, ps, stop } from '../../sdk/index.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { root, dirOf, runDetached, pidAlive, assertClean } = await runtimeSuite('rt-concurrency');

test('10 parallel runs with one name: exactly one wins, 9 get CONTAINER_EXISTS', async () => {
  const name = uniqueName('race');
  try {
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => runDetached(name)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.is(won.length, 1, `winners: ${won.length}; errors: ${lost.map((l) => String(l.reason)).join(' | ')}`);
    for (const l of lost) assert.is((l.reason as { code?: string }).code, 'CONTAINER_EXISTS', String(l.reason));
    const info = await inspect(name, { root });
    assert.is(info.status, 'running');
    assert.is(info.pid, (won[0] as PromiseFulfilledResult<{ pid: number | null }>).value.pid);
  } finally {
    await stopQuiet(root, name);
  }
});

test('20 parallel detached runs: all running with distinct PIDs; stopped in parallel', async () => {
  const names = Array.from({ length: 20 }, () => uniqueName('par'));
  const t0 = Date.now();
  try {
    const results = await Promise.allSettled(names.map((n) => runDetached(n)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.is(failed.length, 0, failed.map((r) => String(r.reason)).join(' | '));
    const tRun = Date.now() - t0;
    const list = (await ps({ root })).filter((c) => names.includes(c.name));
    assert.is(list.length, 20);
    assert.ok(list.every((c) => c.status === 'running' && c.pid !== null && pidAlive(c.pid)));
    assert.is(new Set(list.map((c) => c.pid)).size, 20, 'distinct PIDs');
    const t1 = Date.now();
    const stops = await Promise.allSettled(names.map((n) => stop(n, { root, timeoutSeconds: 0 })));
    const stopFailed = stops.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.is(stopFailed.length, 0, stopFailed.map((r) => String(r.reason)).join(' | '));
    for (const c of list) assert.not.ok(pidAlive(c.pid!), `pid ${c.pid} gone`);
    for (const n of names) assert.not.ok(existsSync(dirOf(n)));
    process.stdout.write(`  20 parallel: run ${tRun} ms, stop ${Date.now() - t1} ms\n`);
  } finally {
    await stopQuiet(root, ...names);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
