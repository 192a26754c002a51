// Root integration tests of the container runtime through the SDK: exec: namespaces, env, stdin, restrictions,
// refusals.
// One temp state root with one small image over the shared cached base; every test stops what it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DEFAULT_CAPBND, rejectsWith, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { exec } from '../../sdk/index.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { root, runAttached, runDetached, assertClean } = await runtimeSuite('rt-exec');

test('exec joins the namespaces with the container env, exec env, workdir and exit code', async () => {
  const name = uniqueName('exec');
  try {
    const c = await runDetached(name, ['sleep', 'infinity'], {
      env: ['FOO=from-run', 'BOTH=run'],
      workdir: '/srv/work',
    });
    const r = await exec(
      name,
      [
        'sh',
        '-c',
        'hostname; tr "\\0" " " < /proc/1/cmdline; echo; echo "$FOO $BAR $BOTH"; pwd; readlink /proc/self/cwd',
      ],
      {
        root,
        env: ['BAR=from-exec', 'BOTH=exec'],
      },
    );
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(r.stdout, `${name}\nsleep infinity \nfrom-run from-exec exec\n/srv/work\n/srv/work\n`);
    const w = await exec(name, ['pwd'], { root, workdir: '/tmp' });
    assert.is(w.stdout, '/tmp\n');
    const five = await c.exec(['sh', '-c', 'echo out; echo err >&2; exit 5']);
    assert.equal(five, { exitCode: 5, stdout: 'out\n', stderr: 'err\n' });
    const missing = await exec(name, ['no-such-command-xyz'], { root });
    assert.is(missing.exitCode, 127);
    const notExec = await exec(name, ['/srv/data.txt'], { root });
    assert.is(notExec.exitCode, 126);
    // The init sees the exec'd process in its PID namespace.
    const seen = await exec(name, ['sh', '-c', 'ls -d /proc/[0-9]* | wc -l'], { root });
    assert.ok(Number(seen.stdout) >= 2 && Number(seen.stdout) <= 5, `processes in the container: ${seen.stdout}`);
  } finally {
    await stopQuiet(root, name);
  }
});

test('exec streams stdin: 1.5 MB through sha256sum matches the host hash', async () => {
  const name = uniqueName('stdin');
  try {
    await runDetached(name);
    const data = randomBytes(1.5 * 1024 * 1024);
    const want = createHash('sha256').update(data).digest('hex');
    const r = await exec(name, ['sha256sum'], { root, input: data });
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(r.stdout.split(' ')[0], want);
    const count = await exec(name, ['wc', '-c'], { root, input: data });
    assert.is(count.stdout.trim(), String(data.length));
  } finally {
    await stopQuiet(root, name);
  }
});

test('exec keeps the container restrictions: CapBnd and NoNewPrivs', async () => {
  const name = uniqueName('caps');
  try {
    await runDetached(name);
    const r = await exec(name, ['grep', '-E', '^(CapBnd|CapEff|NoNewPrivs):', '/proc/self/status'], { root });
    assert.match(r.stdout, new RegExp(`^CapEff:\\s+${DEFAULT_CAPBND}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^CapBnd:\\s+${DEFAULT_CAPBND}$`, 'm'));
    assert.match(r.stdout, /^NoNewPrivs:\s+1$/m);
  } finally {
    await stopQuiet(root, name);
  }
});

const execIntoAnExited =
  'exec into an exited or missing container: CONTAINER_NOT_RUNNING / NOT_FOUND, nothing runs on the host';
test(execIntoAnExited, async () => {
  const name = uniqueName('exd');
  const marker = `/tmp/conductor-exec-marker-${randomBytes(6).toString('hex')}`;
  try {
    await runAttached(name, ['true']);
    await rejectsWith(exec(name, ['touch', marker], { root }), 'CONTAINER_NOT_RUNNING');
    await rejectsWith(exec(uniqueName('nope'), ['touch', marker], { root }), 'CONTAINER_NOT_FOUND');
    await rejectsWith(exec('../x', ['touch', marker], { root }), 'INVALID_NAME');
    assert.not.ok(existsSync(marker), 'nothing ran on the host');
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
