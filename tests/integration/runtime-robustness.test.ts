// Root integration tests of the container runtime through the SDK: SIGKILLed CLIs, run/exec/stop cycles, disk per
// container.
// One temp state root with one small image over the shared cached base; every test stops what it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  CLI,
  exited,
  killOwned,
  leftovers,
  processesMentioning,
  rejectsWith,
  sleep,
  stopQuiet,
  until,
} from '../helpers/runtime-fixture.ts';
import { mountLinesMentioning, uniqueName } from '../helpers/temp-root.ts';
import { stop } from '../../sdk/index.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { f, root, dirOf, statePath, runDetached, cgroupDirsOf, assertClean } = await runtimeSuite('rt-robustness');

test('CLI `run -d` SIGKILLed at random points: stop leaves no process, mount, record or cgroup', async () => {
  // How long a whole `run -d` takes here, to spread the kills over all of it.
  const probe = uniqueName('probe');
  const t0 = Date.now();
  const p = spawnSync(process.execPath, [CLI, 'run', '-d', f.image, probe, '--', 'sleep', 'infinity'], {
    env: f.env,
    encoding: 'utf8',
  });
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
    const child = spawn(process.execPath, [CLI, 'run', '-d', f.image, name, '--', 'sleep', token], {
      env: f.env,
      stdio: 'ignore',
    });
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
      assert.is(
        leaked,
        'none',
        `processes left after a kill at ${delay} ms: ` +
          `${JSON.stringify([...processesMentioning(dirOf(name)), ...processesMentioning(`sleep ${token}`)])}`,
      );
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
  const after = await until(
    'processes to settle',
    () => {
      const l = leftovers(root);
      return l.processes.length <= before.processes.length ? l : null;
    },
    3000,
  ).catch(() => leftovers(root));
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

test('the state root is clean at the end', assertClean);

test.run();
