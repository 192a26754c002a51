import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { limiter } from '../../../sdk/host/limit.ts';

test('limiter: never more than n at once, all run, in the order they asked; a failure frees its slot', async () => {
  const limit = limiter(2);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const tick = () => new Promise((r) => setImmediate(r));
  const job = (i: number) =>
    limit(async () => {
      order.push(i);
      most = Math.max(most, ++running);
      await tick();
      running--;
      if (i === 1) throw new Error('one');
      return i;
    });
  const settled = await Promise.allSettled([0, 1, 2, 3, 4].map(job));
  assert.is(most, 2);
  assert.equal(order, [0, 1, 2, 3, 4]);
  assert.equal(
    settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
  );
});

test.run();
