// Root integration tests of the container runtime through the SDK: exit codes and conductor's own errors.
// One temp state root with one small image over the shared cached base; every test stops what it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { rejectsWith, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { inspect, run } from '../../sdk/index.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { f, root, dirOf, runAttached, runDetached, containersDir, assertClean } = await runtimeSuite('rt-exit-codes');

test('attached run returns the command exit code: 0, 1, 7, 126, 127', async () => {
  const cases: Array<[string[], number]> = [
    [['true'], 0],
    [['false'], 1],
    [['sh', '-c', 'exit 7'], 7],
    [['/srv/data.txt'], 126],
    [['no-such-command-xyz'], 127],
  ];
  for (const [cmd, want] of cases) {
    const name = uniqueName('exit');
    try {
      const c = await runAttached(name, cmd, { rm: true });
      assert.is(c.exitCode, want, `${cmd.join(' ')} → ${c.exitCode} (stderr ${JSON.stringify(c.stderr)})`);
      if (want === 127) assert.match(c.stderr ?? '', /not found/);
      if (want === 126) assert.match(c.stderr ?? '', /permission denied/);
      assert.not.ok(existsSync(dirOf(name)), '--rm removed the container');
    } finally {
      await stopQuiet(root, name);
    }
  }
});

test("conductor's own errors are ConductorErrors: IMAGE_NOT_FOUND, INVALID_NAME, CONTAINER_EXISTS", async () => {
  const name = uniqueName('err');
  await rejectsWith(run('t-no-such-image-zz', name, { root, command: ['true'] }), 'IMAGE_NOT_FOUND', 'missing image');
  assert.not.ok(existsSync(dirOf(name)), 'nothing created for a missing image');
  for (const bad of ['..', '.', 'a/b', '-rf', '', ' ', 'x'.repeat(64), 'a\nb']) {
    await rejectsWith(run(f.image, bad, { root, command: ['true'] }), 'INVALID_NAME', `name ${JSON.stringify(bad)}`);
  }
  await rejectsWith(run('../etc', name, { root, command: ['true'] }), 'INVALID_NAME', 'image name');
  await rejectsWith(run(f.image, name, { root, command: ['true'], hostname: 'a/b' }), 'INVALID_NAME', 'hostname');
  const before = readdirSync(containersDir).sort();
  assert.not.ok(
    before.some((n) => n === '..' || n.includes('/')),
    'no stray container dir',
  );
  try {
    const c = await runDetached(name);
    await rejectsWith(runDetached(name), 'CONTAINER_EXISTS', 'duplicate');
    await rejectsWith(runAttached(name, ['true']), 'CONTAINER_EXISTS', 'duplicate attached');
    // The refused duplicate must not have touched the original.
    const info = await inspect(name, { root });
    assert.is(info.status, 'running');
    assert.is(info.pid, c.pid);
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
