import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { holdFlock } from '../../../sdk/state/lock.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'conductor-flock-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('holdFlock: shared holders coexist and keep out an exclusive one until the last lets go', async () => {
  const file = path.join(dir, 'a.lock');
  const one = await holdFlock(file, { shared: true, timeoutMs: 0 });
  const two = await holdFlock(file, { shared: true, timeoutMs: 0 });
  assert.ok(one && two, 'two shared holders');
  assert.is(await holdFlock(file, { timeoutMs: 0 }), null, 'no exclusive holder beside them');
  one.release();
  assert.is(await holdFlock(file, { timeoutMs: 0 }), null, 'one shared holder is still there');
  assert.ok(existsSync(file), 'a shared release leaves the file');
  two.release();
  const ex = await holdFlock(file, { timeoutMs: 0 });
  assert.ok(ex, 'exclusive once both are gone');
  assert.is(await holdFlock(file, { shared: true, timeoutMs: 0 }), null, 'no shared holder beside it');
  ex.release();
});

test('holdFlock: a waiter gets the lock when the holder lets go; one that unlinked it sends it to the new file', async () => {
  const file = path.join(dir, 'b.lock');
  const ex = (await holdFlock(file, { timeoutMs: 0 }))!;
  let got = false;
  const waiter = holdFlock(file, { timeoutMs: 30_000 }).then((h) => {
    got = true;
    return h;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.not.ok(got, 'waits while held');
  ex.release({ unlink: true });
  const h = (await waiter)!;
  assert.ok(existsSync(file), 'the waiter holds a file that is named again');
  assert.is(await holdFlock(file, { timeoutMs: 0 }), null, 'and it excludes a newcomer');
  h.release();
});

test('holdFlock: a wait that runs out is a TIMEOUT naming the file', async () => {
  const file = path.join(dir, 'c.lock');
  const ex = (await holdFlock(file, { timeoutMs: 0 }))!;
  try {
    await holdFlock(file, { timeoutMs: 1000 });
    assert.unreachable('should time out');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'TIMEOUT');
    assert.match((e as Error).message, file);
  } finally {
    ex.release();
  }
});

test.run();
