import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pollUntil, type Clock } from '../../../sdk/host/poll.ts';

/** A clock that only moves when the loop sleeps, recording every sleep: no test waits for real. */
function fakeClock(): Clock & { sleeps: number[] } {
  let t = 1000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

test('pollUntil: a check that holds at once never sleeps', async () => {
  const clock = fakeClock();
  assert.is(await pollUntil(() => true, { timeoutMs: 100, maxDelayMs: 10, clock }), true);
  assert.equal(clock.sleeps, []);
});

test('pollUntil: backs off 1, 2, 4 ... up to maxDelayMs and resolves true when the check holds', async () => {
  const clock = fakeClock();
  let calls = 0;
  assert.is(await pollUntil(() => ++calls === 8, { timeoutMs: 1000, maxDelayMs: 25, clock }), true);
  assert.is(calls, 8);
  assert.equal(clock.sleeps, [1, 2, 4, 8, 16, 25, 25]);
});

test('pollUntil: never sleeps past the deadline, checks once more at it, then resolves false', async () => {
  const clock = fakeClock();
  const at: number[] = [];
  const start = clock.now();
  assert.is(
    await pollUntil(() => (at.push(clock.now() - start), false), { timeoutMs: 20, maxDelayMs: 8, clock }),
    false,
  );
  assert.equal(clock.sleeps, [1, 2, 4, 8, 5]);
  assert.equal(at, [0, 1, 3, 7, 15, 20]);
});

test('pollUntil: timeout 0 checks exactly once; Infinity waits as long as it takes', async () => {
  const clock = fakeClock();
  let calls = 0;
  assert.is(await pollUntil(() => (calls++, false), { timeoutMs: 0, maxDelayMs: 8, clock }), false);
  assert.is(calls, 1);
  let n = 0;
  assert.is(await pollUntil(() => ++n === 500, { timeoutMs: Infinity, maxDelayMs: 50, clock }), true);
  assert.is(Math.max(...clock.sleeps), 50);
});

test('pollUntil: async checks are awaited; an exception from the check propagates', async () => {
  const clock = fakeClock();
  let n = 0;
  assert.is(await pollUntil(async () => ++n === 3, { timeoutMs: 100, maxDelayMs: 5, clock }), true);
  try {
    await pollUntil(
      () => {
        throw new Error('boom');
      },
      { timeoutMs: 100, maxDelayMs: 5, clock },
    );
    assert.unreachable('no throw');
  } catch (e) {
    assert.is((e as Error).message, 'boom');
  }
});

test('pollUntil: the real clock really waits (bounded by the timeout)', async () => {
  const t0 = Date.now();
  assert.is(await pollUntil(() => false, { timeoutMs: 30, maxDelayMs: 10 }), false);
  const took = Date.now() - t0;
  assert.ok(took >= 29 && took < 1000, `took ${took} ms`);
});

test.run();
