import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLock } from '../../../sdk/state/lock.ts';
import { startTimeOf } from '../../../sdk/host/proc.ts';
import { FLOCK_ADDON } from '../../../sdk/config.ts';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'helpers', 'lock-worker.ts');
const dir = mkdtempSync(path.join(os.tmpdir(), 'conductor-lock-'));
const started: ChildProcess[] = [];

function worker(name: string, counter: string, n: string, prefix: string[] = []): ChildProcess {
  const argv = [...prefix, process.execPath, '--import', 'tsx', WORKER, dir, name, counter, n];
  const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(c);
  return c;
}

const exitOf = (c: ChildProcess) =>
  new Promise<number | null>((r) =>
    c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code)),
  );

/** A process that takes the lock and never lets go; resolves once it holds it. */
async function holder(name: string): Promise<ChildProcess> {
  const c = worker(name, '-', 'hold');
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    c.once('exit', () => reject(new Error('holder exited before holding')));
  });
  return c;
}

test('holders in one process run one at a time', async () => {
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

test(
  '8 processes x 60 non-atomic increments under the lock, holders SIGKILLed mid-hold meanwhile: ' +
    'the count is exact',
  async () => {
    const counter = path.join(dir, 'counter');
    writeFileSync(counter, '0');
    const workers = Array.from({ length: 8 }, () => worker('hammer', counter, '60'));
    const done = Promise.all(workers.map(exitOf));
    let finished = false;
    void done.then(() => (finished = true));
    // Holders that die while others queue behind them: their lock must pass on (nobody wedged) and
    // never to two processes at once.
    let kills = 0;
    while (!finished) {
      const h = await holder('hammer');
      h.kill('SIGKILL');
      await exitOf(h);
      kills++;
    }
    const codes = await done;
    assert.equal(codes, Array(8).fill(0), 'every worker finished');
    assert.ok(kills > 0, 'holders were killed while the workers ran');
    assert.is(readFileSync(counter, 'utf8'), '480');
  },
);

const said = (c: ChildProcess, word: string) =>
  new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => d.toString().includes(word) && resolve());
    c.once('exit', () => reject(new Error(`worker exited before saying ${word}`)));
  });

const aWaiterSlowedDown =
  'a waiter slowed down between seeing a dead holder and acting on it never lets two others hold at once';
test(aWaiterSlowedDown, async () => {
  // The attack on any check-then-replace scheme for taking over a dead holder's lock: a waiter
  // that has decided the lock is stale is delayed (here: strace delays each of its renames by
  // 300 ms) while the others break the lock, take it, and release it. Whatever it then does must
  // never hand the lock to a second process.
  const log = path.join(dir, 'enter-exit');
  writeFileSync(log, '');
  const h = await holder('slow');
  const strace = ['strace', '-f', '-o', '/dev/null', '-e', 'inject=rename,renameat,renameat2:delay_enter=300000'];
  const all = [
    ...Array.from({ length: 3 }, () => worker('slow', log, 'once', strace)),
    ...Array.from({ length: 4 }, () => worker('slow', log, 'once')),
  ];
  await Promise.all(all.map((c) => said(c, 'trying')));
  h.kill('SIGKILL');
  await exitOf(h);
  const codes = await Promise.all(all.map(exitOf));
  assert.equal(codes, Array(all.length).fill(0));
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.is(lines.length, 2 * all.length, lines.join(' | '));
  for (let i = 0; i < lines.length; i += 2) {
    const [pid, what] = lines[i]!.split(' ');
    assert.is(what, 'enter', `line ${i}: ${lines.join(' | ')}`);
    assert.is(lines[i + 1], `${pid} exit`, `two holders at once: ${lines.join(' | ')}`);
  }
});

test('a holder killed with SIGKILL never blocks the next one', async () => {
  const h = await holder('k');
  h.kill('SIGKILL');
  await exitOf(h);
  const t0 = Date.now();
  let ran = false;
  await withLock(
    dir,
    'k',
    async () => {
      ran = true;
    },
    { timeoutMs: 5000 },
  );
  assert.ok(ran);
  assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
});

test('a lock held by a live process times out with TIMEOUT, naming the lock', async () => {
  const h = await holder('t');
  try {
    await withLock(dir, 't', async () => assert.unreachable('must not run'), { timeoutMs: 1000 });
    assert.unreachable('expected a timeout');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'TIMEOUT');
    assert.match((e as Error).message, /lock "t"/);
  } finally {
    h.kill('SIGKILL');
    await exitOf(h);
  }
});

const whileHeldTheLock =
  'while held the lock file names its owner (ownerLine); after, it is gone; waiters on an unlinked file start over';
test(whileHeldTheLock, async () => {
  let seen = '';
  let inside = 0;
  let most = 0;
  const take = () =>
    withLock(
      dir,
      'r',
      async (held) => {
        most = Math.max(most, ++inside);
        seen = readFileSync(held.file, 'utf8');
        await new Promise((r) => setTimeout(r, 20));
        inside--;
      },
      { ownerLine: true },
    );
  // Waiters queued on a file that gets unlinked, and newcomers arriving after it is gone.
  const first = Array.from({ length: 4 }, take);
  await new Promise((r) => setTimeout(r, 30));
  await Promise.all([...first, ...Array.from({ length: 4 }, take)]);
  assert.is(most, 1);
  assert.equal(JSON.parse(seen), { pid: process.pid, startTime: startTimeOf(process.pid) });
  assert.not.ok(existsSync(path.join(dir, 'r.lock')));
});

test('an uncontended lock is taken in-process: no flock child (native/conductor-flock.node)', async () => {
  assert.ok(existsSync(FLOCK_ADDON), `${FLOCK_ADDON} is built by make -C native where node's headers are`);
  const trace = path.join(dir, 'execve.trace');
  const w = worker('solo', path.join(dir, 'solo-log'), 'once', ['strace', '-f', '-e', 'trace=execve', '-o', trace]);
  assert.is(await exitOf(w), 0);
  const flocks = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => l.includes('execve("/usr/bin/flock"'));
  assert.equal(flocks, []);
});

test.after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
test.run();
