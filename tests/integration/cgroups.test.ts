// Root integration test for sdk/cgroups.ts against the real kernel: whatever layout the host has
// (v1 on hybrid hosts, v2 on current ones). Every cgroup is created under a random state root's
// ids and removed, and every process killed by PID, in finally blocks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isConductorError } from '../../sdk/index.ts';
import {
  cgroupId,
  cgroupPids,
  closeFds,
  createCgroups,
  detectLayout,
  killCgroup,
  oomKilled,
  openProcsFds,
  readLimits,
  removeCgroups,
  findCgroup2Mount,
} from '../helpers/internals.ts';

const MiB = 1024 * 1024;
const PYTHON = '/usr/bin/python3';
const STATE_ROOT = `/tmp/conductor-cgroups-test-${randomBytes(4).toString('hex')}`;
const id = (name: string): string => cgroupId(STATE_ROOT, name);
const isRoot = process.getuid?.() === 0;

interface Child {
  proc: ChildProcess;
  pid: number;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(cmd: string, args: string[], extraFds: number[] = []): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe', ...extraFds] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.resume();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  assert.ok(proc.pid, `could not start ${cmd}`);
  return { proc, pid: proc.pid!, stdout: () => out, exit };
}

/**
 * A /bin/sh that joins the cgroups through inherited cgroup.procs fds (as the init helper does), then runs `script`.
 */
function startJoined(procs: string[], script: string): Child {
  const fds = openProcsFds(procs);
  try {
    const join = fds.map((_, i) => `echo 0 >&${3 + i}`).join('; ');
    const close = fds.map((_, i) => `${3 + i}>&-`).join(' ');
    return start('/bin/sh', ['-c', `${join}; exec ${close}; ${script}`], fds);
  } finally {
    closeFds(fds); // the child has its own copies now
  }
}

function killPid(c: Child | undefined): void {
  if (c && c.proc.exitCode === null && c.proc.signalCode === null) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function cleanup(child: Child | undefined, dirs: string[]): Promise<void> {
  killPid(child);
  if (dirs.length) {
    await killCgroup(dirs);
    await removeCgroups(dirs);
  }
}

async function waitFor(what: string, ok: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const read = (file: string): string => fs.readFileSync(file, 'utf8').trim();

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number, hz: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / hz; // fields 14 and 15, counted from field 3
}

if (!isRoot) {
  test('cgroups (skipped: needs root)', () => {});
} else {
  const layout = detectLayout();

  test('detectLayout: this host', () => {
    if (layout.version === 1) {
      for (const c of ['memory', 'cpu', 'pids'] as const) {
        assert.ok(layout.controllers[c], `no v1 ${c} hierarchy found`);
        assert.ok(fs.existsSync(`${layout.controllers[c]}/cgroup.procs`));
      }
    } else {
      assert.ok(fs.existsSync(`${layout.root}/cgroup.controllers`));
    }
  });

  test('createCgroups writes the limits; a process joins, is killed, and the cgroups are removed', async () => {
    let dirs: string[] = [];
    let child: Child | undefined;
    try {
      const cg = await createCgroups(id('limits'), { memory: 64 * MiB, cpus: 0.5, pids: 32 });
      dirs = cg.dirs;
      for (const d of dirs) assert.ok(fs.statSync(d).isDirectory(), d);
      // v1: the thread-only tasks file (no global lock, see joinFile); v2: cgroup.procs.
      assert.equal(
        cg.procs,
        dirs.map((d) => `${d}/${layout.version === 1 ? 'tasks' : 'cgroup.procs'}`),
      );
      assert.equal(readLimits(dirs), { memory: 64 * MiB, cpus: 0.5, pids: 32 });
      if (layout.version === 1) {
        const [m, c, p] = (['memory', 'cpu', 'pids'] as const).map(
          (x) => `${layout.controllers[x]}/conductor/${id('limits')}`,
        );
        // The devices cgroup (tests/integration/devices.test.ts) comes last, where the host has one.
        const dv = layout.controllers.devices ? [`${layout.controllers.devices}/conductor/${id('limits')}`] : [];
        assert.equal(dirs, [m, c, p, ...dv]);
        assert.is(read(`${m}/memory.limit_in_bytes`), String(64 * MiB));
        if (fs.existsSync(`${m}/memory.memsw.limit_in_bytes`))
          assert.is(read(`${m}/memory.memsw.limit_in_bytes`), String(64 * MiB));
        else assert.equal(cg.skipped, [`${m}/memory.memsw.limit_in_bytes`]);
        assert.is(read(`${c}/cpu.cfs_period_us`), '100000');
        assert.is(read(`${c}/cpu.cfs_quota_us`), '50000');
        assert.is(read(`${p}/pids.max`), '32');
      } else {
        const [d] = dirs;
        assert.is(read(`${d}/memory.max`), String(64 * MiB));
        assert.is(read(`${d}/cpu.max`), '50000 100000');
        assert.is(read(`${d}/pids.max`), '32');
      }

      child = start('/bin/sleep', ['30']);
      for (const p of cg.procs) fs.writeFileSync(p, String(child.pid));
      const lines = read(`/proc/${child.pid}/cgroup`).split('\n');
      const inOurs = lines.filter((l) => l.endsWith(`/conductor/${id('limits')}`));
      assert.is(inOurs.length, dirs.length, lines.join('\n'));
      assert.equal(cgroupPids(dirs), [child.pid]);

      assert.ok(await killCgroup(dirs));
      assert.is((await child.exit).signal, 'SIGKILL');
      assert.equal(cgroupPids(dirs), []);
      assert.not.ok(oomKilled(dirs));
      await removeCgroups(dirs);
      for (const d of dirs) assert.not.ok(fs.existsSync(d), `${d} left behind`);
      await removeCgroups(dirs); // idempotent
    } finally {
      await cleanup(child, dirs);
    }
  });

  const createCgroupsWithoutLimitsStill =
    'createCgroups without limits still makes a tracking cgroup; a leftover one is reused only when empty';
  test(createCgroupsWithoutLimitsStill, async () => {
    let dirs: string[] = [];
    let child: Child | undefined;
    try {
      const cg = await createCgroups(id('track'), {});
      dirs = cg.dirs;
      // One tracking cgroup, plus the devices cgroup on a v1 host that has one.
      assert.is(dirs.length, layout.version === 1 && layout.controllers.devices ? 2 : 1);
      assert.ok(fs.existsSync(dirs[0]!));
      assert.equal((await createCgroups(id('track'), {})).dirs, dirs, 'an empty leftover is reused');
      child = start('/bin/sleep', ['30']);
      fs.writeFileSync(cg.procs[0]!, String(child.pid));
      try {
        await createCgroups(id('track'), {});
        assert.unreachable('a cgroup with a process in it was reused');
      } catch (e) {
        assert.ok(isConductorError(e, 'CGROUP_UNAVAILABLE'), String(e));
        assert.match((e as Error).message, /already exists and is in use/);
      }
      assert.equal(cgroupPids(dirs), [child.pid]);
    } finally {
      await cleanup(child, dirs);
    }
    for (const d of dirs) assert.not.ok(fs.existsSync(d));
  });

  test('createCgroups removes what it made when a write fails', async () => {
    if (layout.version !== 1) return; // the trick below needs separate v1 hierarchies
    const { memory, cpu } = layout.controllers;
    // pids "on" the cpu hierarchy: its dir is the cpu one, where pids.max does not exist.
    const bogus = { version: 1 as const, controllers: { memory, cpu, pids: cpu } };
    const made = [`${memory}/conductor/${id('rollback')}`, `${cpu}/conductor/${id('rollback')}`];
    try {
      await createCgroups(id('rollback'), { memory: 64 * MiB, cpus: 1, pids: 10 }, { layout: bogus });
      assert.unreachable('should have failed');
    } catch (e) {
      assert.ok(isConductorError(e, 'CGROUP_UNAVAILABLE'), String(e));
      assert.match((e as Error).message, /pids\.max/);
    } finally {
      for (const d of made) {
        const left = fs.existsSync(d);
        if (left) fs.rmdirSync(d);
        assert.not.ok(left, `${d} left behind`);
      }
    }
  });

  const v2PathsTrackingCgroup =
    'v2 paths: tracking cgroup, cgroup.kill and sub-cgroups ' +
    '(on the host’s cgroup2 mount, even a controller-less one)';
  test(v2PathsTrackingCgroup, async () => {
    const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const root = findCgroup2Mount(mountinfo);
    if (root === null) return;
    const v2 = { version: 2 as const, root, controllers: [] }; // no limits: no controller needed
    let dirs: string[] = [];
    let child: Child | undefined;
    try {
      const cg = await createCgroups(id('v2'), {}, { layout: v2 });
      dirs = cg.dirs;
      assert.equal(dirs, [`${root}/conductor/${id('v2')}`]);
      child = startJoined(cg.procs, 'sleep 30 & sleep 30 & wait');
      const pid = child.pid;
      await waitFor('three members', () => cgroupPids(dirs).length === 3 && cgroupPids(dirs).includes(pid));
      assert.ok(
        read(`/proc/${pid}/cgroup`)
          .split('\n')
          .includes(`0::/conductor/${id('v2')}`),
      );
      // A sub-cgroup made by the container is walked, emptied and removed too.
      fs.mkdirSync(`${dirs[0]}/inner`);
      assert.ok(await killCgroup(dirs));
      assert.is((await child.exit).signal, 'SIGKILL');
      await removeCgroups(dirs);
      assert.not.ok(fs.existsSync(dirs[0]!));
    } finally {
      await cleanup(child, dirs);
    }
  });

  test('memory limit: a process allocating 200 MiB in 64m is OOM-killed', async () => {
    let dirs: string[] = [];
    let child: Child | undefined;
    try {
      const cg = await createCgroups(id('oom'), { memory: 64 * MiB });
      dirs = cg.dirs;
      child = startJoined(cg.procs, `exec ${PYTHON} -c 'bytearray(200*1024*1024); print("survived")'`);
      const exit = await child.exit;
      assert.is(exit.signal, 'SIGKILL', `exit ${JSON.stringify(exit)}, stdout ${child.stdout()}`);
      assert.not.match(child.stdout(), /survived/);
      assert.ok(oomKilled(dirs), 'oom_kill not counted');
    } finally {
      await cleanup(child, dirs);
    }
  });

  test('pids limit: forking 100 sleepers in a cgroup of 32 fails, the host can still fork', async () => {
    let dirs: string[] = [];
    let child: Child | undefined;
    const script = [
      'import os, time',
      'ok = fails = 0',
      'for i in range(100):',
      '    try:',
      '        pid = os.fork()',
      '    except OSError:',
      '        fails += 1',
      '        continue',
      '    if pid == 0:',
      '        time.sleep(5)',
      '        os._exit(0)',
      '    ok += 1',
      'print(ok, fails, flush=True)',
    ].join('\n');
    try {
      const cg = await createCgroups(id('pids'), { pids: 32 });
      dirs = cg.dirs;
      child = startJoined(cg.procs, `exec ${PYTHON} -c '${script}'`);
      const exit = await child.exit;
      assert.is(exit.code, 0, `exit ${JSON.stringify(exit)}`);
      const [ok, fails] = child.stdout().trim().split(' ').map(Number) as [number, number];
      assert.ok(fails > 0, `no fork failed (${ok} ok)`);
      assert.ok(ok <= 31, `${ok} forks succeeded`);
      assert.is(ok + fails, 100);
      assert.is(cgroupPids(dirs).length, ok, 'the sleepers are tracked');
      assert.is(
        execFileSync('/bin/sh', ['-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true & done; wait; echo ok'])
          .toString()
          .trim(),
        'ok',
      );
      assert.ok(await killCgroup(dirs));
      assert.equal(cgroupPids(dirs), []);
    } finally {
      await cleanup(child, dirs);
    }
  });

  test('cpu limit: a busy loop under --cpus 0.5 gets about half a core', async () => {
    let dirs: string[] = [];
    let child: Child | undefined;
    try {
      const hz = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
      const cg = await createCgroups(id('cpu'), { cpus: 0.5 });
      dirs = cg.dirs;
      child = startJoined(cg.procs, 'while :; do :; done');
      const pid = child.pid;
      await waitFor(
        'the loop to join',
        () =>
          cgroupPids(dirs).includes(pid) &&
          dirs.every((d) => read(`${d}/cgroup.procs`).split('\n').includes(String(pid))),
      );
      await sleep(200); // settle into the CFS periods
      const t0 = process.hrtime.bigint();
      const c0 = cpuSeconds(pid, hz);
      await sleep(2000);
      const c1 = cpuSeconds(pid, hz);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const share = (c1 - c0) / wall;
      assert.ok(share <= 0.6, `used ${share.toFixed(2)} of a core`);
      assert.ok(share >= 0.3, `used only ${share.toFixed(2)} of a core`);
    } finally {
      await cleanup(child, dirs);
    }
    for (const d of dirs) assert.not.ok(fs.existsSync(d));
  });
}

test.run();
