// Root integration tests of the container runtime through the SDK: detached runs, logs, the original
// tool's background habit, --rm.
// One temp state root with one small image over the shared cached base; every test stops what it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, REPO, exited, killOwned, rejectsWith, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { exec, logs, ps, stop, waitForLog } from '../../sdk/index.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { f, root, dirOf, runAttached, runDetached, pidAlive, assertClean } = await runtimeSuite('rt-lifecycle');

test('detached run returns once running and the container outlives its caller', async () => {
  const name = uniqueName('det');
  const code = `import { run } from ${JSON.stringify(path.join(REPO, 'sdk', 'index.ts'))};
const c = await run(${JSON.stringify(f.image)}, ${JSON.stringify(name)}, { root: ${JSON.stringify(root)}, \
detach: true, command: ['sleep', 'infinity'] });
process.stdout.write(String(c.pid));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  try {
    const timer = setTimeout(() => killOwned(child), 20_000);
    const { code: rc } = await exited(child);
    clearTimeout(timer);
    assert.is(rc, 0, `caller exited by itself (stderr: ${err})`);
    const pid = Number(out);
    assert.ok(pid > 1, `caller printed the init pid: ${out}`);
    assert.not.ok(
      pidAlive(child.pid!) && readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes('--input-type'),
      'caller gone',
    );
    const running = (await ps({ root })).find((c) => c.name === name);
    assert.ok(running, 'ps lists it after its caller exited');
    assert.is(running!.status, 'running');
    assert.is(running!.pid, pid);
    assert.ok(pidAlive(pid), 'its PID is live');
    const r = await exec(name, ['hostname'], { root });
    assert.is(r.stdout, `${name}\n`);
  } finally {
    killOwned(child);
    await stopQuiet(root, name);
  }
});

test("logs() captures a detached container's output", async () => {
  const name = uniqueName('log');
  try {
    const c = await runDetached(name, ['sh', '-c', 'echo hello; echo oops >&2; sleep 30']);
    await c.waitForLog('hello', 5000);
    await waitForLog(name, 'oops', { root, timeoutMs: 5000 });
    assert.is(await logs(name, { root }), 'hello\noops\n');
    await rejectsWith(waitForLog(name, 'never-printed', { root, timeoutMs: 200 }), 'WAIT_TIMEOUT');
  } finally {
    await stopQuiet(root, name);
  }
});

test("the original tool's habit: `conductor run img c -- sleep infinity &` (attached, in the background)", async () => {
  const name = uniqueName('seed');
  const child = spawn(process.execPath, [CLI, 'run', f.image, name, '--', 'sleep', 'infinity'], {
    env: f.env,
    stdio: 'ignore',
    detached: true,
  });
  try {
    const info = await until(
      'the background run to be running',
      async () => (await ps({ root })).find((c) => c.name === name && c.status === 'running'),
      10_000,
    );
    assert.ok(pidAlive(info.pid!));
    assert.is(child.exitCode, null, 'the attached CLI is still waiting for its container');
    const r = await stop(name, { root, timeoutSeconds: 1 });
    assert.ok(r.killed, 'sleep as PID 1 ignores SIGTERM');
    assert.is(r.exitCode, 137);
    assert.not.ok(pidAlive(info.pid!));
    // The CLI whose container was stopped ends by itself.
    const timer = setTimeout(() => killOwned(child), 10_000);
    const { code, signal } = await exited(child);
    clearTimeout(timer);
    assert.is(signal, null, 'the CLI ended by itself');
    assert.ok(code !== null);
    assert.not.ok(existsSync(dirOf(name)));
  } finally {
    killOwned(child);
    await stopQuiet(root, name);
  }
});

test('--rm removes the container after an attached run; without it, exited until stop', async () => {
  const a = uniqueName('rm');
  const b = uniqueName('keep');
  try {
    const c = await runAttached(a, ['sh', '-c', 'exit 3'], { rm: true });
    assert.is(c.exitCode, 3);
    assert.not.ok(existsSync(dirOf(a)));
    assert.not.ok((await ps({ root, all: true })).some((x) => x.name === a));

    const d = await runAttached(b, ['sh', '-c', 'exit 3']);
    assert.is(d.exitCode, 3);
    const listed = (await ps({ root, all: true })).find((x) => x.name === b);
    assert.is(listed?.status, 'exited');
    assert.is(listed?.exitCode, 3);
    assert.is(listed?.pid, null);
    assert.not.ok(
      (await ps({ root })).some((x) => x.name === b),
      'ps without all: running only',
    );
    const r = await stop(b, { root });
    assert.is(r.exitCode, 3);
    assert.is(r.killed, false);
    assert.not.ok(existsSync(dirOf(b)));
  } finally {
    await stopQuiet(root, a, b);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
