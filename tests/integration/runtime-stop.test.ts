// Root integration tests of the container runtime through the SDK: stop: signals, timeouts, missing containers.
// One temp state root with one small image over the shared cached base; every test stops what it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejectsWith, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { stop } from '../../sdk/index.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { root, runDetached, pidAlive, assertClean } = await runtimeSuite('rt-stop');

test('stop: a SIGTERM-trapping container exits 0 at once; one ignoring it is killed after the timeout', async () => {
  const a = uniqueName('trap');
  const b = uniqueName('ign');
  try {
    const ca = await runDetached(a, ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done']);
    const cb = await runDetached(b, ['sleep', 'infinity']);
    let t0 = Date.now();
    const ra = await stop(a, { root, timeoutSeconds: 10 });
    const msA = Date.now() - t0;
    assert.ok(msA < 2000, `trapping container stopped in ${msA} ms`);
    assert.is(ra.exitCode, 0);
    assert.is(ra.killed, false);
    assert.is(ra.signal, 'SIGTERM');
    assert.not.ok(pidAlive(ca.pid!));

    t0 = Date.now();
    const rb = await stop(b, { root, timeoutSeconds: 2 });
    const msB = Date.now() - t0;
    assert.ok(msB >= 2000 && msB < 4000, `ignoring container stopped in ${msB} ms`);
    assert.is(rb.killed, true);
    assert.is(rb.exitCode, 137);
    assert.not.ok(pidAlive(cb.pid!));
    process.stdout.write(`  stop: trapping ${msA} ms, ignoring (-t 2) ${msB} ms\n`);
  } finally {
    await stopQuiet(root, a, b);
  }
});

test('stop of a missing container: CONTAINER_NOT_FOUND unless ignoreMissing; stopping twice', async () => {
  const name = uniqueName('miss');
  await rejectsWith(stop(name, { root }), 'CONTAINER_NOT_FOUND');
  const r = await stop(name, { root, ignoreMissing: true });
  assert.is(r.exitCode, null);
  await rejectsWith(stop('../x', { root }), 'INVALID_NAME');
  try {
    await runDetached(name);
    await stop(name, { root, timeoutSeconds: 0 });
    await rejectsWith(stop(name, { root }), 'CONTAINER_NOT_FOUND', 'second stop');
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
