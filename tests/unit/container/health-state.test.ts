import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { healthFor, HEALTH_OUTPUT_MAX, nextHealth, truncateOutput } from '../../../sdk/container/health-state.ts';
import { healthProbeArgv } from '../../../sdk/container/health-probe.ts';
import { CLI_BUNDLE } from '../../../sdk/config.ts';
import type { HealthState } from '../../../sdk/types.ts';

const init = { pid: 42, startTime: '1000' };
const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const cfg = { retries: 3, startPeriodMs: 0 };

/** Folds probes (exit codes at the given seconds after the init started) into a state. */
function probes(results: Array<[number, number]>, c = cfg, from?: HealthState, who = init): HealthState {
  let h = from;
  for (const [s, exitCode] of results)
    h = nextHealth(
      h,
      { init: who, initStartedAtMs: T0, entry: { start: at(s), end: at(s), exitCode, output: `${s}` } },
      c,
    );
  return h!;
}

test('a new init starts as starting; the first pass makes it healthy', () => {
  assert.equal(healthFor(undefined, init), { status: 'starting', failingStreak: 0, log: [], init });
  const h = probes([[1, 0]]);
  assert.is(h.status, 'healthy');
  assert.is(h.failingStreak, 0);
  assert.equal(h.log, [{ start: at(1), end: at(1), exitCode: 0, output: '1' }]);
});

test('retries failures in a row make it unhealthy; before that it keeps its status; a pass resets the streak', () => {
  const two = probes([
    [1, 1],
    [2, 1],
  ]);
  assert.equal([two.status, two.failingStreak], ['starting', 2]);
  const three = probes([[3, 1]], cfg, two);
  assert.equal([three.status, three.failingStreak], ['unhealthy', 3]);
  const back = probes([[4, 0]], cfg, three);
  assert.equal([back.status, back.failingStreak], ['healthy', 0]);
  const once = probes([[5, 1]], cfg, back);
  assert.equal([once.status, once.failingStreak], ['healthy', 1], 'a healthy container stays healthy below retries');
  assert.is(
    probes(
      [
        [6, 2],
        [7, -1],
      ],
      cfg,
      once,
    ).status,
    'unhealthy',
    'any non-zero exit (and -1, a timeout) fails',
  );
});

test('failures within the start period do not count while starting, and count once it is over', () => {
  const c = { retries: 1, startPeriodMs: 10_000 };
  const early = probes(
    [
      [1, 1],
      [9, 1],
    ],
    c,
  );
  assert.equal([early.status, early.failingStreak, early.log.length], ['starting', 0, 2]);
  const late = probes([[10, 1]], c, early);
  assert.equal([late.status, late.failingStreak], ['unhealthy', 1]);
});

test('with no start period, a probe timed a few ms before the init (clock granularity) still counts', () => {
  const h = probes([[-0.02, 1]], { retries: 1, startPeriodMs: 0 });
  assert.equal([h.status, h.failingStreak], ['unhealthy', 1]);
});

test('once healthy, the start period no longer shields failures (Docker: only while starting)', () => {
  const c = { retries: 2, startPeriodMs: 60_000 };
  const h = probes(
    [
      [1, 0],
      [2, 1],
      [3, 1],
    ],
    c,
  );
  assert.equal([h.status, h.failingStreak], ['unhealthy', 2]);
});

test('the log keeps the last five probes; output is truncated to 4096 bytes', () => {
  const h = probes(
    [1, 2, 3, 4, 5, 6, 7].map((s) => [s, 1] as [number, number]),
    { retries: 99, startPeriodMs: 0 },
  );
  assert.equal(
    h.log.map((e) => e.output),
    ['3', '4', '5', '6', '7'],
  );
  const big = truncateOutput('é'.repeat(HEALTH_OUTPUT_MAX));
  assert.ok(Buffer.byteLength(big) <= HEALTH_OUTPUT_MAX && big === 'é'.repeat(HEALTH_OUTPUT_MAX / 2));
  assert.is(truncateOutput('ok\n'), 'ok\n');
});

test('a restarted init (another PID or start time) starts again from starting', () => {
  const old = probes([
    [1, 1],
    [2, 1],
    [3, 1],
  ]);
  assert.is(old.status, 'unhealthy');
  const restarted = { pid: 42, startTime: '2000' };
  assert.equal(healthFor(old, restarted), { status: 'starting', failingStreak: 0, log: [], init: restarted });
  const h = probes([[4, 1]], cfg, old, restarted);
  assert.equal([h.status, h.failingStreak, h.log.length, h.init], ['starting', 1, 1, restarted]);
  assert.is(healthFor(old, { ...init }), old, 'the same init keeps its state');
});

test('healthProbeArgv: this node and the CLI bundle on the given root and cache', () => {
  assert.equal(healthProbeArgv({ root: '/var/lib/conductor', cache: '/c' }, 'web1'), [
    '/usr/bin/env',
    'CONDUCTOR_ROOT=/var/lib/conductor',
    'CONDUCTOR_CACHE=/c',
    process.execPath,
    CLI_BUNDLE,
    'healthcheck',
    'run',
    'web1',
  ]);
  assert.ok(CLI_BUNDLE.endsWith('/dist/conductor.cjs'));
});

test.run();
