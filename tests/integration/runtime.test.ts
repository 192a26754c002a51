// Root integration tests of the container runtime through the SDK (issue "Container runtime"):
// run / exec / ps / stop / logs against the real kernel, in one temp state root with one small image
// built over the shared cached base. Every test stops what it started; PIDs killed are our own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CLI, DEFAULT_CAPBND, REPO, buildCli, exited, killOwned, leftovers, makeFixture, processesMentioning, rejectsWith, sleep, stopQuiet, until,
} from '../helpers/runtime-fixture.ts';
import { mountLinesMentioning, uniqueName } from '../helpers/temp-root.ts';
import { exec, inspect, logs, ps, run, stop, waitForLog, type RunOptions } from '../../sdk/index.ts';
import { cgroupId, isAlive, refOf, type ContainerRecord } from '../helpers/internals.ts';

const f = await makeFixture('rt');
const root = f.root;
const containersDir = path.join(root, '.containers');
buildCli();

test.after(async () => {
  await f.cleanup();
});

const dirOf = (name: string) => path.join(containersDir, name);
const statePath = (name: string) => path.join(dirOf(name), 'state.json');
const readState = (name: string) => JSON.parse(readFileSync(statePath(name), 'utf8')) as ContainerRecord;

/** Attached run, output collected. */
function runAttached(name: string, command: string[], extra: RunOptions = {}) {
  return run(f.image, name, { root, command, output: 'collect', ...extra });
}

function runDetached(name: string, command: string[] = ['sleep', 'infinity'], extra: RunOptions = {}) {
  return run(f.image, name, { root, command, detach: true, ...extra });
}

/** The cgroup directories a container of this root would use, wherever the hierarchies are. */
function cgroupDirsOf(name: string): string[] {
  const id = cgroupId(root, name);
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 3) return;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(d, e.name);
      if (e.name === id && path.basename(d) === 'conductor') out.push(p);
      else walk(p, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return out;
}

/** The kernel says this PID is alive (and not a zombie). */
function pidAlive(pid: number): boolean {
  const r = refOf(pid);
  return r !== null && isAlive(r);
}

// ── exit codes and errors ──────────────────────────────────────────────────────────────────────

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
  assert.not.ok(before.some((n) => n === '..' || n.includes('/')), 'no stray container dir');
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

// ── what the container sees ────────────────────────────────────────────────────────────────────

const MINIMAL_DEV = ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'];

test('hostname, /etc files, PID namespace, /dev and fds are the container\'s own', async () => {
  const name = uniqueName('view');
  // perl is the only process: PID 1, and the only PID in /proc.
  const script = [
    'opendir F, "/proc/self/fd"; print "fds=", join(",", sort grep { /^\\d+$/ } readdir F), "\\n"; closedir F;',
    'opendir P, "/proc"; print "pids=", join(",", sort grep { /^\\d+$/ } readdir P), "\\n";',
    'open C, "/proc/1/cmdline"; my $c = <C>; $c =~ s/\\0/ /g; print "pid1=$c\\n";',
    'opendir D, "/dev"; print "dev=", join(",", sort grep { !/^\\.\\.?$/ } readdir D), "\\n";',
    'print "self=$$\\n";',
  ].join(' ');
  try {
    const c = await runAttached(name, ['perl', '-e', script]);
    assert.is(c.exitCode, 0, c.stderr);
    const kv = Object.fromEntries((c.stdout ?? '').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.is(kv.pids, '1', 'only the container\'s process is visible');
    assert.is(kv.self, '1', 'the command is PID 1');
    assert.match(kv.pid1 ?? '', /^perl -e /);
    assert.equal(kv.dev?.split(','), MINIMAL_DEV, 'exactly the minimal /dev');
    // opendir's own fd is 3: 0-3 and nothing inherited from the host.
    assert.is(kv.fds, '0,1,2,3');

    const files = await runAttached(uniqueName('view'), ['sh', '-c', 'hostname; echo "$HOSTNAME"; cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf'], { rm: true });
    const [head, hosts, resolv] = (files.stdout ?? '').split('---\n');
    const [h1, h2, h3] = head!.trim().split('\n');
    assert.ok(h1!.startsWith('t-view-'));
    assert.is(h2, h1);
    assert.is(h3, h1);
    assert.match(hosts!, new RegExp(`^127\\.0\\.1\\.1\\t${h1}$`, 'm'));
    assert.is.not(hosts, readFileSync('/etc/hosts', 'utf8'));
    assert.is(resolv, '', 'no network yet: an empty resolv.conf, not the host\'s');

    // The first container (no --rm) still has its files: /etc/hostname came from them.
    assert.is(readFileSync(path.join(dirOf(name), 'hostname'), 'utf8'), `${name}\n`);
  } finally {
    await stopQuiet(root, name);
  }
});

test('--hostname overrides the container name', async () => {
  const name = uniqueName('hn');
  try {
    const c = await runAttached(name, ['sh', '-c', 'hostname; cat /etc/hostname; echo "$HOSTNAME"; grep -c other-host /etc/hosts'], { hostname: 'other-host', rm: true });
    assert.is(c.stdout, 'other-host\nother-host\nother-host\n1\n');
  } finally {
    await stopQuiet(root, name);
  }
});

// ── detached, logs, the seed's habit ────────────────────────────────────────────────────────────

test('detached run returns once running and the container outlives its caller', async () => {
  const name = uniqueName('det');
  const code = `import { run } from ${JSON.stringify(path.join(REPO, 'sdk', 'index.ts'))};
const c = await run(${JSON.stringify(f.image)}, ${JSON.stringify(name)}, { root: ${JSON.stringify(root)}, detach: true, command: ['sleep', 'infinity'] });
process.stdout.write(String(c.pid));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
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
    assert.not.ok(pidAlive(child.pid!) && readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').includes('--input-type'), 'caller gone');
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

test('logs() captures a detached container\'s output', async () => {
  const name = uniqueName('log');
  try {
    const c = await runDetached(name, ['sh', '-c', 'echo hello; echo oops >&2; sleep 30']);
    await c.waitForLog('hello', 5000);
    await waitForLog(name, 'oops', { root, timeoutMs: 5000 });
    assert.is(await logs(name, { root }), 'hello\noops\n');
    await rejectsWith(waitForLog(name, 'never-printed', { root, timeoutMs: 200 }), 'TIMEOUT');
  } finally {
    await stopQuiet(root, name);
  }
});

test("the seed's habit: `conductor run img c -- sleep infinity &` (attached, in the background)", async () => {
  const name = uniqueName('seed');
  const child = spawn(process.execPath, [CLI, 'run', f.image, name, '--', 'sleep', 'infinity'], { env: f.env, stdio: 'ignore', detached: true });
  try {
    const info = await until('the background run to be running', async () => (await ps({ root })).find((c) => c.name === name && c.status === 'running'), 10_000);
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
    assert.not.ok((await ps({ root })).some((x) => x.name === b), 'ps without all: running only');
    const r = await stop(b, { root });
    assert.is(r.exitCode, 3);
    assert.is(r.killed, false);
    assert.not.ok(existsSync(dirOf(b)));
  } finally {
    await stopQuiet(root, a, b);
  }
});

// ── state comes from the kernel ─────────────────────────────────────────────────────────────────

test('an init killed from outside shows as exited, not running', async () => {
  const name = uniqueName('kill');
  try {
    const c = await runDetached(name);
    assert.ok(c.pid && pidAlive(c.pid));
    process.kill(c.pid!, 'SIGKILL'); // the init we started
    const info = await until('status exited', async () => {
      const i = (await ps({ root, all: true })).find((x) => x.name === name);
      return i?.status === 'exited' ? i : null;
    }, 5000);
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
    const info = await until('status exited', async () => {
      const i = (await ps({ root, all: true })).find((x) => x.name === name);
      return i?.status === 'exited' ? i : null;
    }, 5000);
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
    writeFileSync(statePath(name), JSON.stringify({ ...rec, init: { pid: gone, startTime: rec.init!.startTime } }, null, 2));
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
    writeFileSync(statePath(name), JSON.stringify({ ...rec, cgroups: [], init: undefined, monitor: undefined }, null, 2));
    await stop(name, { root, timeoutSeconds: 0 });
    assert.equal(cgroupDirsOf(name), [], 'cgroups removed');
    await until('the init to be gone', () => !pidAlive(c.pid!), 5000);
    assert.not.ok(existsSync(dirOf(name)));
  } finally {
    await stopQuiet(root, name);
  }
});

// ── stop ───────────────────────────────────────────────────────────────────────────────────────

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

// ── exec ───────────────────────────────────────────────────────────────────────────────────────

test('exec joins the namespaces with the container env, exec env, workdir and exit code', async () => {
  const name = uniqueName('exec');
  try {
    const c = await runDetached(name, ['sleep', 'infinity'], { env: ['FOO=from-run', 'BOTH=run'], workdir: '/srv/work' });
    const r = await exec(name, ['sh', '-c', 'hostname; tr "\\0" " " < /proc/1/cmdline; echo; echo "$FOO $BAR $BOTH"; pwd; readlink /proc/self/cwd'], {
      root,
      env: ['BAR=from-exec', 'BOTH=exec'],
    });
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

test('exec into an exited or missing container: CONTAINER_NOT_RUNNING / NOT_FOUND, nothing runs on the host', async () => {
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

// ── concurrency ────────────────────────────────────────────────────────────────────────────────

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

// ── robustness ─────────────────────────────────────────────────────────────────────────────────

test('CLI `run -d` SIGKILLed at random points: stop leaves no process, mount, record or cgroup', async () => {
  // How long a whole `run -d` takes here, to spread the kills over all of it.
  const probe = uniqueName('probe');
  const t0 = Date.now();
  const p = spawnSync(process.execPath, [CLI, 'run', '-d', f.image, probe, '--', 'sleep', 'infinity'], { env: f.env, encoding: 'utf8' });
  const full = Date.now() - t0;
  assert.is(p.status, 0, p.stderr);
  await stop(probe, { root, timeoutSeconds: 0 });
  const span = Math.max(150, full + 30);
  const report: string[] = [];
  const rounds = 10;
  for (let i = 0; i < rounds; i++) {
    const name = uniqueName('kill');
    const token = String(900_000_000 + Math.floor(Math.random() * 99_999_999)); // unique `sleep` argument
    const delay = Math.floor((span * i) / rounds + Math.random() * (span / rounds));
    const child = spawn(process.execPath, [CLI, 'run', '-d', f.image, name, '--', 'sleep', token], { env: f.env, stdio: 'ignore' });
    try {
      await sleep(delay);
      killOwned(child);
      const { code, signal } = await exited(child);
      const state = existsSync(dirOf(name)) ? (existsSync(statePath(name)) ? 'record' : 'dir') : 'nothing';
      let first = 'stopped';
      try {
        await stop(name, { root, timeoutSeconds: 0 });
      } catch (e) {
        first = (e as { code?: string }).code ?? String(e);
        assert.is(first, 'CONTAINER_NOT_FOUND', `first stop after a kill at ${delay} ms: ${String(e)}`);
      }
      await rejectsWith(stop(name, { root, timeoutSeconds: 0 }), 'CONTAINER_NOT_FOUND', 'second stop');
      await stop(name, { root, ignoreMissing: true });
      report.push(`${delay}ms:${signal ?? code}/${state}/${first === 'stopped' ? 'stop' : 'nf'}`);
      // Give a process that escaped the stop a moment to show up (e.g. an init still being set up).
      const leaked = await until(
        'leftovers to settle',
        () => {
          const procs = [...processesMentioning(dirOf(name)), ...processesMentioning(`sleep ${token}`)];
          return procs.length === 0 ? 'none' : null;
        },
        3000,
      ).catch(() => 'leaked');
      assert.is(leaked, 'none', `processes left after a kill at ${delay} ms: ${JSON.stringify([...processesMentioning(dirOf(name)), ...processesMentioning(`sleep ${token}`)])}`);
      assert.equal(mountLinesMentioning(root), [], `mounts left after a kill at ${delay} ms`);
      assert.not.ok(existsSync(dirOf(name)), `container dir left after a kill at ${delay} ms`);
      assert.equal(cgroupDirsOf(name), [], `cgroups left after a kill at ${delay} ms`);
      assert.not.ok(existsSync(`${dirOf(name)}/rootfs.pid`));
    } finally {
      killOwned(child);
      await stopQuiet(root, name);
    }
  }
  process.stdout.write(`  run -d takes ${full} ms via the CLI; kills: ${report.join(' ')}\n`);
});

test('50 run/exec/stop cycles leave mounts, processes and files as they were', async () => {
  // Baseline once nothing of an earlier test is still on its way out.
  await until('no process of this root', () => processesMentioning(root).length === 0, 5000);
  const before = leftovers(root);
  const t0 = Date.now();
  for (let i = 0; i < 50; i++) {
    const name = uniqueName('cyc');
    try {
      const c = await runDetached(name);
      const r = await c.exec(['true']);
      assert.is(r.exitCode, 0);
      const s = await c.stop({ timeoutSeconds: 0 });
      assert.is(s.killed, true);
    } finally {
      await stopQuiet(root, name);
    }
  }
  const ms = Date.now() - t0;
  process.stdout.write(`  50 cycles in ${ms} ms (${(ms / 50).toFixed(0)} ms each)\n`);
  const after = await until('processes to settle', () => {
    const l = leftovers(root);
    return l.processes.length <= before.processes.length ? l : null;
  }, 3000).catch(() => leftovers(root));
  assert.equal(after.mounts, before.mounts, 'mounts');
  assert.equal(after.processes, before.processes, 'processes');
  assert.equal(after.containerFiles, before.containerFiles, 'files under .containers');
});

test('disk: a running container costs < 100 KiB (upper dir + container dir)', async () => {
  const name = uniqueName('du');
  try {
    await runDetached(name);
    const du = (p: string) => Number(spawnSync('du', ['-sk', p], { encoding: 'utf8' }).stdout.split('\t')[0]);
    const upper = du(path.join(dirOf(name), 'upper'));
    const whole = du(dirOf(name));
    assert.ok(Number.isFinite(upper) && Number.isFinite(whole));
    assert.ok(whole < 100, `container dir ${whole} KiB`);
    assert.ok(upper <= whole && upper < 100, `upper ${upper} KiB`);
    process.stdout.write(`  disk: upper ${upper} KiB, container dir ${whole} KiB\n`);
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', async () => {
  assert.equal(readdirSync(containersDir), []);
  assert.equal(mountLinesMentioning(root), []);
});

test.run();
