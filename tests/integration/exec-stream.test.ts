// Root integration tests of the streaming exec: output read while the command still runs, stdin
// delivered as it is written, the exit as a promise, and an AbortSignal that ends the command with
// every process it started (its own process group and one that left it), leaving none behind; the
// buffered exec's abort ends the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough, type Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';
import { exec, execStream } from '../../sdk/index.ts';
import { cgroupPids, internalPaths, isAlive, loadRecord, refOf } from '../helpers/internals.ts';

const { root, runDetached } = await runtimeSuite('xs');

/** The stream's lines, one `next()` at a time. */
const linesOf = (s: Readable) => {
  const it = createInterface({ input: s })[Symbol.asyncIterator]();
  return async () => {
    const r = await it.next();
    return r.done ? null : r.value;
  };
};
const textOf = async (s: Readable) => {
  let t = '';
  for await (const c of s) t += String(c);
  return t;
};

test('execStream: stdout arrives while the command runs, stdin as it is written, exit as a promise', async () => {
  const name = uniqueName('flow');
  try {
    const c = await runDetached(name);
    const stdin = new PassThrough();
    const script = 'echo ready; read l; echo "got $l"; echo note >&2; cat; exit 3';
    const p = await c.execStream(['sh', '-c', script], { input: stdin });
    const err = textOf(p.stderr);
    let ended = false;
    void p.exit.then(() => (ended = true));
    const next = linesOf(p.stdout);
    assert.is(await next(), 'ready');
    // It now blocks in `read` until this test writes: the line came before the exit.
    assert.not.ok(ended, 'still running');
    stdin.write('hello\n');
    assert.is(await next(), 'got hello', 'the first stdin line reached it while it ran');
    stdin.end('last\n');
    assert.is(await next(), 'last', 'cat copied the rest of stdin');
    assert.is(await next(), null);
    assert.equal(await p.exit, { exitCode: 3, aborted: false });
    assert.is(await err, 'note\n');
  } finally {
    await stopQuiet(root, name);
  }
});

test('execStream: abort kills the command and what it started, and the exit says so', async () => {
  const name = uniqueName('abort');
  try {
    const c = await runDetached(name);
    const cgroups = loadRecord(internalPaths(root), name)!.cgroups;
    const [init] = cgroupPids(cgroups);
    const ac = new AbortController();
    // One sleep in the command's process group, one in a session of its own (out of the group).
    const script = 'sleep 1000 & setsid sleep 1000 & echo started; wait';
    const p = await c.execStream(['sh', '-c', script], { signal: ac.signal });
    void textOf(p.stderr);
    assert.is(await linesOf(p.stdout)(), 'started');
    const started = cgroupPids(cgroups).filter((pid) => pid !== init);
    assert.is(started.length, 3, `sh and its two sleeps run in the container: ${started.join(' ')}`);
    const refs = started.map((pid) => refOf(pid)!);
    ac.abort();
    assert.equal(await p.exit, { exitCode: 137, aborted: true });
    assert.equal(
      refs.filter((r) => isAlive(r)),
      [],
      'every process it started has ended',
    );
    assert.equal(cgroupPids(cgroups), [init], 'only the init is left in the container');
  } finally {
    await stopQuiet(root, name);
  }
});

test('exec (buffered): abort ends the command and what it started, also out of its group', async () => {
  const name = uniqueName('babort');
  try {
    await runDetached(name);
    const cgroups = loadRecord(internalPaths(root), name)!.cgroups;
    const [init] = cgroupPids(cgroups);
    const ac = new AbortController();
    const r = exec(name, ['sh', '-c', 'sleep 1000 & setsid sleep 1000 & wait'], { root, signal: ac.signal });
    const started = await until('sh and its two sleeps', () => {
      const pids = cgroupPids(cgroups).filter((pid) => pid !== init);
      return pids.length === 3 ? pids : null;
    });
    const refs = started.map((pid) => refOf(pid)!);
    ac.abort();
    assert.is((await r).exitCode, 137);
    assert.equal(
      refs.filter((x) => isAlive(x)),
      [],
      'every process it started has ended',
    );
    assert.equal(cgroupPids(cgroups), [init]);
  } finally {
    await stopQuiet(root, name);
  }
});

test('execStream: an aborted signal starts nothing', async () => {
  const name = uniqueName('pre');
  try {
    await runDetached(name);
    const cgroups = loadRecord(internalPaths(root), name)!.cgroups;
    const before = cgroupPids(cgroups);
    const reason = new Error('not wanted');
    try {
      await execStream(name, ['sleep', '1000'], { root, signal: AbortSignal.abort(reason) });
      assert.unreachable('it rejects');
    } catch (e) {
      assert.is(e, reason, "the signal's reason");
    }
    assert.equal(cgroupPids(cgroups), before);
  } finally {
    await stopQuiet(root, name);
  }
});

test.run();
