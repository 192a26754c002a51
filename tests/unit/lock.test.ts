import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withLock } from '../../sdk/fsutil.ts';
import { refOf } from '../../sdk/proc.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'conductor-lock-'));

/** A PID that existed and is gone: a child that has exited and been reaped. */
function deadRef(): { pid: number; startTime: string } {
  const r = spawnSync('sh', ['-c', 'read -r a < /proc/self/stat; echo "$a"'], { encoding: 'utf8' });
  const pid = Number(r.stdout.split(' ')[0]);
  return { pid, startTime: 'gone' };
}

test('the lock file always names its owner while held, and is gone after', async () => {
  let seen = '';
  await withLock(dir, 'a', async () => {
    seen = readFileSync(path.join(dir, 'a.lock'), 'utf8');
  });
  assert.equal(JSON.parse(seen), refOf(process.pid));
  assert.not.ok(existsSync(path.join(dir, 'a.lock')));
  assert.equal(readdirSync(dir), [], 'no written-aside copies left');
});

test('a lock left by a dead owner (and its aside copy) is taken over', async () => {
  const dead = deadRef();
  writeFileSync(path.join(dir, 'b.lock'), JSON.stringify(dead));
  writeFileSync(path.join(dir, `b.lock.${dead.pid}.abc123`), JSON.stringify(dead));
  let ran = false;
  await withLock(dir, 'b', async () => {
    ran = true;
  }, 2000);
  assert.ok(ran);
  assert.equal(readdirSync(dir), []);
});

test('holders run one at a time', async () => {
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 8 }, () =>
      withLock(dir, 'c', async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      }),
    ),
  );
  assert.is(most, 1);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
