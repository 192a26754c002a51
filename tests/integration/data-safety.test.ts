// Root integration tests of what must never be lost or touched by mistake: layers under running
// containers (rmi/rmcache), a --no-cache build's result, the log cap against `exec -d`, containers
// still being created (prune, stop --all, stop), and host processes that merely name a rootfs.
// One temp state root; every process killed is one this file started, by PID.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CLI,
  buildCli,
  cli,
  exited,
  killOwned,
  makeFixture,
  processesMentioning,
  rejectsWith,
  stopQuiet,
  until,
} from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { buildImage, exec, ps, run, stop, removeCache, removeImage, silentLogger } from '../../sdk/index.ts';
import { HOST_RUN_DIR, withLock, type ContainerRecord } from '../helpers/internals.ts';
import { statePaths } from '../helpers/state-paths.ts';

const f = await makeFixture('ds');
const root = f.root;
const ctxParent = mkdtempSync('/tmp/conductor-test-ctx-');
buildCli();

test.after(async () => {
  await f.cleanup();
  rmSync(ctxParent, { recursive: true, force: true });
});

const dirOf = (name: string) => statePaths(root).container(name);
const readState = (name: string): ContainerRecord | null => {
  try {
    return JSON.parse(readFileSync(path.join(dirOf(name), 'state.json'), 'utf8')) as ContainerRecord;
  } catch {
    return null;
  }
};

async function buildFrom(image: string, conductorfile: string, noCache = false) {
  const ctx = mkdtempSync(path.join(ctxParent, 'ctx-'));
  writeFileSync(path.join(ctx, 'Conductorfile'), conductorfile);
  return buildImage(image, { file: path.join(ctx, 'Conductorfile'), context: ctx, root, noCache, log: silentLogger() });
}

const cat = async (name: string, file: string) => (await exec(name, ['cat', file], { root })).stdout;

/** Hold a lock of this root from the test process until `release()` is called. */
function holdLock(
  name: string,
  dir = statePaths(root).locks,
): { held: Promise<void>; release: () => void; done: Promise<void> } {
  let release!: () => void;
  let signalHeld!: () => void;
  const held = new Promise<void>((r) => (signalHeld = r));
  const done = withLock(dir, name, async () => {
    signalHeld();
    await new Promise<void>((r) => (release = r));
  });
  return { held, release: () => release(), done };
}

function cliChild(args: string[]): { child: ChildProcess; result: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: f.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const result = exited(child).then(({ code }) => ({ code, stderr }));
  return { child, result };
}

// ── 7: --no-cache ────────────────────────────────

const buildNoCacheCommits =
  'build --no-cache commits its new layer; later cached builds use it; a container on the old one keeps it';
test(buildNoCacheCommits, async () => {
  const image = uniqueName('nc');
  const name = uniqueName('nc');
  const file = 'FROM debian:bookworm\nRUN date +%s%N > /t\n';
  try {
    const first = await buildFrom(image, file);
    await run(image, name, { root, detach: true, command: ['sleep', 'infinity'] });
    const t1 = await cat(name, '/t');
    const fresh = await buildFrom(image, file, true);
    assert.is.not(fresh.layers[0], first.layers[0], 'a new layer');
    const t2 = readFileSync(statePaths(root).layerDiff(fresh.layers[0]!, 't'), 'utf8');
    assert.is.not(t2, t1, '/t was rebuilt');
    const again = await buildFrom(image, file);
    assert.equal(again.layers, fresh.layers, 'the cache now gives the --no-cache result');
    const probe = await run(image, uniqueName('ncp'), { root, command: ['cat', '/t'], output: 'collect', rm: true });
    assert.is(probe.stdout, t2, 'new containers see the rebuilt /t');
    assert.is(await cat(name, '/t'), t1, 'the running container still sees its own layer');
  } finally {
    await stopQuiet(root, name);
  }
});

// ── 8: exec -d and the log cap ───────────────────────────

const execD40MB =
  "exec -d: 40 MB of output and the container's own 8 MB stay within the 10 MiB cap; " +
  'the command never holds the host log file';
test(execD40MB, async () => {
  const name = uniqueName('cap');
  try {
    await run(f.image, name, {
      root,
      detach: true,
      command: ['sh', '-c', 'head -c 8388608 /dev/zero; exec sleep infinity'],
    });
    const log = path.join(dirOf(name), 'log');
    await until("the container's 8 MiB", () => statSync(log).size === 8 * 1024 * 1024, 10_000);
    const mode = statSync(log).mode & 0o7777;
    // The attack: write far past the cap, and chmod whatever fd 1 is (the host file, if handed over).
    const r = await cli(f.env, [
      'exec',
      '-d',
      name,
      '--',
      'sh',
      '-c',
      'chmod 666 /proc/self/fd/1 2>/dev/null; head -c 40000000 /dev/zero; touch /done',
    ]);
    assert.is(r.code, 0, r.stderr);
    await until(
      'the exec to finish',
      async () => (await exec(name, ['test', '-e', '/done'], { root })).exitCode === 0,
      30_000,
    );
    // The copier drains to EOF before it exits; wait for it (reparented, so found by its argv).
    await until(
      'the copier to exit',
      () => processesMentioning(log).filter((p) => p.cmdline.includes('--join')).length === 0,
      10_000,
    );
    assert.is(statSync(log).size, 10 * 1024 * 1024, 'the whole file is capped');
    assert.is(statSync(log).mode & 0o7777, mode, "the host file's mode is unchanged");
    const out = await cli(f.env, ['logs', name]);
    assert.is(out.stdout.length, 10 * 1024 * 1024, 'logs streams the whole capped file');
  } finally {
    await stopQuiet(root, name);
  }
});

// ── 9: containers still being created ─────────────────────────

const pruneStopAllAnd =
  'prune, stop --all and stop during a `run -d` held mid-creation: the first two leave it alone, stop waits for it';
test(pruneStopAllAnd, async () => {
  const name = uniqueName('mid');
  // Slow start: the network is being wired (we hold the host's network lock), the command held.
  const lock = holdLock('network', HOST_RUN_DIR);
  await lock.held;
  const starting = cliChild(['run', '-d', '--internet', f.image, name, '--', 'sleep', 'infinity']);
  let stopping: ReturnType<typeof cliChild> | undefined;
  try {
    await until('the run to be wiring the network', () => readState(name)?.init, 10_000);
    const p = await cli(f.env, ['prune']);
    assert.is(p.code, 0, p.stderr);
    assert.not.match(p.stdout, name);
    assert.ok(existsSync(dirOf(name)), 'prune left it');
    const all = await cli(f.env, ['stop', '--all']);
    assert.is(all.code, 0, all.stderr);
    assert.ok(existsSync(dirOf(name)), 'stop --all left it');
    assert.match(all.stderr, `${name}: still being created`);
    stopping = cliChild(['stop', '-t', '0', name]);
    lock.release();
    await lock.done;
    const started = await starting.result;
    assert.is(started.code, 0, `run -d failed: ${started.stderr}`);
    const stopped = await stopping.result;
    assert.is(stopped.code, 0, stopped.stderr);
    assert.not.ok(existsSync(dirOf(name)), 'stop removed it once it was complete');
    await until('no process of it', () => processesMentioning(dirOf(name)).length === 0, 5000);
    assert.equal(
      (await ps({ root, all: true })).filter((c) => c.name === name),
      [],
    );
  } finally {
    lock.release();
    killOwned(starting.child);
    killOwned(stopping?.child);
    await stopQuiet(root, name);
  }
});

// ── 10: the stray-process sweep ───────────────────────────

test('stop of a half-made container kills its launch but not a host process that names its rootfs', async () => {
  const name = uniqueName('half');
  const rootfs = path.join(dirOf(name), 'rootfs');
  // Hold the network lock so the run stops with its init started and held, then kill the run.
  const lock = holdLock('network', HOST_RUN_DIR);
  await lock.held;
  const starting = cliChild(['run', '-d', '--internet', f.image, name, '--', 'sleep', 'infinity']);
  let bystander: ChildProcess | undefined;
  let init = 0;
  let monitor = 0;
  try {
    const rec = await until('the init in the record', () => readState(name)?.init, 10_000);
    init = rec.pid;
    const stat = readFileSync(`/proc/${init}/stat`, 'utf8');
    monitor = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    // Keep the held init from seeing its caller go (it would give up by itself).
    process.kill(init, 'SIGSTOP');
    killOwned(starting.child);
    await starting.result;
    lock.release();
    await lock.done;
    // A stand-in for an admin's `du <rootfs>`: a host process whose argv names the rootfs.
    // Its own process group, so cleanup ends it and its `sleep` by that group's id.
    bystander = spawn('sh', ['-c', 'sleep 1000; :', rootfs], { stdio: 'ignore', detached: true });
    await until('the bystander', () => processesMentioning(rootfs).some((p) => p.pid === bystander!.pid), 5000);
    await stop(name, { root, timeoutSeconds: 0 });
    assert.ok(
      bystander.exitCode === null && bystander.signalCode === null,
      `the host process survived (${bystander.exitCode} ${bystander.signalCode})`,
    );
    assert.ok(existsSync(`/proc/${bystander.pid}`));
    await until(
      'the init and the monitor to be gone',
      () => !existsSync(`/proc/${init}`) && !existsSync(`/proc/${monitor}`),
      5000,
    );
    assert.not.ok(existsSync(dirOf(name)));
  } finally {
    lock.release();
    killOwned(starting.child);
    if (bystander?.pid) {
      try {
        process.kill(-bystander.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await stopQuiet(root, name);
  }
});

// ── 6: layers under running containers (last: rmcache --all removes the fixture's image) ──────

test('rmcache after a rebuild keeps the layers a running container stacks (and says so); its files stay', async () => {
  const image = uniqueName('lay');
  const name = uniqueName('lay');
  try {
    const v1 = await buildFrom(image, 'FROM debian:bookworm\nRUN echo one > /data.txt\n');
    // Not read before the attack: overlayfs would keep serving a file it has already looked up.
    await run(image, name, { root, detach: true, command: ['sleep', 'infinity'] });
    const v2 = await buildFrom(image, 'FROM debian:bookworm\nRUN echo two > /data.txt\n');
    assert.is.not(v2.layers[0], v1.layers[0]);

    // The attack: rmcache, once through the CLI (the log line) and once through the SDK.
    const r = await cli(f.env, ['rmcache']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`kept layer ${v1.layers[0]!.slice(0, 12)}: used by container "${name}"`));
    const res = await removeCache({ root });
    assert.is(res.removedLayers, 0, 'nothing of the container removed');
    assert.ok(existsSync(statePaths(root).layerDiff(v1.layers[0]!, 'data.txt')), 'the old layer is on disk');
    assert.is(await cat(name, '/data.txt'), 'one\n', 'the file is still there inside the running container');

    // rmi refuses an image in use; rmcache --all keeps it and the container's layers.
    await rejectsWith(removeImage(image, { root }), 'IMAGE_IN_USE');
    const all = await removeCache({ root, all: true });
    assert.ok(
      all.kept.some((k) => k.includes(`image "${image}": used by container "${name}"`)),
      all.kept.join('; '),
    );
    assert.ok(
      all.kept.some((k) => k.includes(v1.layers[0]!.slice(0, 12)) && k.includes(`"${name}"`)),
      all.kept.join('; '),
    );
    assert.is(await cat(name, '/data.txt'), 'one\n');

    await stop(name, { root, timeoutSeconds: 0 });
    const after = await removeCache({ root });
    assert.ok(after.removedLayers >= 1, 'unused once the container is gone');
    assert.not.ok(existsSync(path.join(statePaths(root).layers, v1.layers[0]!)));
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', async () => {
  assert.equal(
    (await ps({ root, all: true })).map((c) => c.name),
    [],
  );
});

test.run();
