// Root integration tests of healthchecks: `run --health-*` and an image's HEALTHCHECK merged into the
// record, `conductor healthcheck run` probing through exec (starting → unhealthy → healthy as the check
// file appears), ps/inspect/waitForHealthy showing it, a probe killed at its timeout, and the
// HEALTHCHECK carried through an OCI export and import.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, rejectsWith, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';
import {
  buildImage,
  exec,
  exportImage,
  importImage,
  inspect,
  inspectImage,
  removeImage,
  run,
  runHealthcheck,
  silentLogger,
  waitForHealthy,
} from '../../sdk/index.ts';
import { cgroupPids, loadRecord, internalPaths } from '../helpers/internals.ts';

const { f, root } = await runtimeSuite('health');
const c = (...args: string[]) => cli(f.env, args);
// PID 1 that ends at once on SIGTERM, so stop never waits for its SIGKILL timeout.
const HOLDER = ['/bin/sh', '-c', 'trap "exit 0" TERM; sleep infinity & wait'];

/** The ps row of `name`, as the table prints it. */
async function psRow(name: string): Promise<string> {
  const r = await c('ps');
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
}

test('health: starting → unhealthy after retries failed probes → healthy once the file exists; ps, inspect', async () => {
  const name = uniqueName('hc');
  try {
    const started = await c(
      'run',
      '-d',
      '--health-cmd',
      'test -e /tmp/ok',
      '--health-retries',
      '2',
      // Only this test's probes: the monitor's first would come in an hour.
      '--health-interval',
      '1h',
      f.image,
      name,
      '--',
      ...HOLDER,
    );
    assert.is(started.code, 0, started.stderr);
    const info = await inspect(name, { root });
    assert.equal(info.healthcheck, {
      test: ['CMD-SHELL', 'test -e /tmp/ok'],
      intervalMs: 3_600_000,
      timeoutMs: 30_000,
      startPeriodMs: 0,
      retries: 2,
    });
    assert.is(info.health, 'starting');
    assert.is((await c('inspect', name, '--format', 'health')).stdout, 'starting\n');
    assert.match(await psRow(name), /\sUp [^()]+ \(health: starting\)\s/);

    const first = await c('healthcheck', 'run', name);
    assert.equal([first.code, first.stdout], [1, 'starting\n'], first.stderr);
    const second = await c('healthcheck', 'run', name);
    assert.equal([second.code, second.stdout], [1, 'unhealthy\n'], second.stderr);
    const sick = await inspect(name, { root });
    assert.is(sick.health, 'unhealthy');
    assert.is(sick.healthLog?.failingStreak, 2);
    assert.equal(
      sick.healthLog?.log.map((e) => e.exitCode),
      [1, 1],
    );
    assert.match(await psRow(name), /\sUp [^()]+ \(unhealthy\)\s/);
    const e = await rejectsWith(waitForHealthy(name, { root, timeoutMs: 100 }), 'WAIT_TIMEOUT');
    assert.match(e.message, /healthcheck not ready within 100 ms \(last seen: unhealthy, last probe exit 1\)/);

    assert.is((await exec(name, ['touch', '/tmp/ok'], { root })).exitCode, 0);
    const third = await c('healthcheck', 'run', name);
    assert.equal([third.code, third.stdout], [0, ''], third.stderr);
    assert.is((await c('inspect', name, '--format', 'health')).stdout, 'healthy\n');
    assert.match(await psRow(name), /\sUp [^()]+ \(healthy\)\s/);
    const well = await inspect(name, { root });
    assert.is(well.healthLog?.failingStreak, 0);
    assert.equal(
      well.healthLog?.log.map((x) => x.exitCode),
      [1, 1, 0],
    );
    await waitForHealthy(name, { root, timeoutMs: 5000 });
    const rec = loadRecord(internalPaths(root), name)!;
    assert.equal(rec.health?.init, rec.init, 'the state names the init it belongs to');
  } finally {
    await stopQuiet(root, name);
  }
});

test('a probe running past its timeout is killed and recorded as exit -1; no check process is left', async () => {
  const name = uniqueName('hct');
  try {
    const h = await run(f.image, name, {
      root,
      detach: true,
      command: HOLDER,
      health: { cmd: 'sleep 300', timeoutMs: 300, retries: 1, intervalMs: 3_600_000 },
    });
    const r = await runHealthcheck(name, { root });
    assert.is(r.passed, false);
    assert.is(r.health.status, 'unhealthy');
    assert.equal(r.health.log.at(-1)?.exitCode, -1);
    assert.match(r.health.log.at(-1)!.output, /^Health check exceeded timeout \(300ms\)$/);
    const rec = loadRecord(internalPaths(root), name)!;
    const cmdlines = cgroupPids(rec.cgroups).map((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    assert.not.ok(
      cmdlines.some((l) => l.includes('300')),
      `left: ${JSON.stringify(cmdlines)}`,
    );
    const e = await rejectsWith(h.waitForHealthy({ timeoutMs: 50 }), 'WAIT_TIMEOUT');
    assert.match(e.message, /last probe exit -1: Health check exceeded timeout/);
  } finally {
    await stopQuiet(root, name);
  }
});

test('the monitor probes on its own: starting → unhealthy → healthy as the check file appears', async () => {
  const name = uniqueName('hcm');
  try {
    const h = await run(f.image, name, {
      root,
      detach: true,
      command: HOLDER,
      health: { cmd: 'test -e /tmp/ok', intervalMs: 200, retries: 2 },
    });
    assert.is((await inspect(name, { root })).health, 'starting');
    await until('unhealthy', async () => (await inspect(name, { root })).health === 'unhealthy', 30_000);
    const sick = await inspect(name, { root });
    assert.ok(sick.healthLog!.failingStreak >= 2, `streak ${sick.healthLog!.failingStreak}`);
    await exec(name, ['touch', '/tmp/ok'], { root });
    await h.waitForHealthy({ timeoutMs: 30_000 });
    assert.is((await inspect(name, { root })).healthLog!.failingStreak, 0);
    assert.match(await psRow(name), /\sUp [^()]+ \(healthy\)\s/);
  } finally {
    await stopQuiet(root, name);
  }
});

test("an image's HEALTHCHECK: merged with --health-*, off with --no-healthcheck, kept through OCI export/import", async () => {
  const img = uniqueName('hcimg');
  const copy = uniqueName('hccopy');
  const ctx = mkdtempSync('/tmp/conductor-test-ctx-');
  const names = [uniqueName('hci'), uniqueName('hcn'), uniqueName('hco')];
  const log = silentLogger();
  try {
    const file = path.join(ctx, 'Conductorfile');
    writeFileSync(file, `FROM ${f.image}\nHEALTHCHECK --interval=5s --start-period=1m CMD ["test", "-e", "/tmp/ok"]\n`);
    await buildImage(img, { root, file, context: ctx, log });
    const hc = { test: ['CMD', 'test', '-e', '/tmp/ok'], intervalMs: 5000, startPeriodMs: 60_000 };
    assert.equal((await inspectImage(img, { root })).config.healthcheck, hc);
    await run(img, names[0]!, { root, detach: true, command: HOLDER, health: { retries: 7 } });
    assert.equal((await inspect(names[0]!, { root })).healthcheck, { ...hc, timeoutMs: 30_000, retries: 7 });
    const off = await c('run', '-d', '--no-healthcheck', img, names[1]!, '--', ...HOLDER);
    assert.is(off.code, 0, off.stderr);
    assert.equal(
      [(await inspect(names[1]!, { root })).healthcheck, (await inspect(names[1]!, { root })).health],
      [null, null],
    );
    assert.not.match(await psRow(names[1]!), /health/);
    const bad = await c('run', '-d', '--no-healthcheck', '--health-retries', '2', img, names[2]!, '--', ...HOLDER);
    assert.is(bad.code, 125);
    assert.match(bad.stderr, /--no-healthcheck conflicts with --health-\* options/);

    const tar = path.join(ctx, 'img.tar');
    await exportImage(img, tar, { root, log });
    await importImage(tar, copy, { root, log });
    assert.equal((await inspectImage(copy, { root })).config.healthcheck, hc);
  } finally {
    await stopQuiet(root, ...names);
    for (const i of [copy, img]) await removeImage(i, { root, log }).catch(() => {});
    rmSync(ctx, { recursive: true, force: true });
  }
});

test.run();
