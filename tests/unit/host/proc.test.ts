import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  isAlive,
  killTargets,
  parseStat,
  readStat,
  refOf,
  startTimeOf,
  stateOf,
  type ProcStat,
} from '../../../sdk/host/proc.ts';
import { pollUntil } from '../../../sdk/host/poll.ts';

/** A stat line as proc(5) lays it out: pid (comm) state ppid pgrp session tty tpgid flags ... starttime (22) ... */
const statLine = (pid: number, comm: string, start = '123456') =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 10000 ` +
  `200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n`;

test('parseStat: the fields after comm, found after the last ")"', () => {
  assert.equal(parseStat(statLine(42, 'sleep')), {
    pid: 42,
    comm: 'sleep',
    state: 'S',
    ppid: 1,
    pgrp: 42,
    startTime: '123456',
  });
});

test('parseStat: a hostile comm of "a) (b" (or with spaces, digits and parens) cannot shift the fields', () => {
  for (const comm of ['a) (b', 'a) Z 1 2 3 (b', ') ', '((', '1 2 3 4 5 6 7', '']) {
    const s = parseStat(statLine(7, comm, '999'));
    assert.ok(s, comm);
    assert.is(s!.comm, comm);
    assert.is(s!.state, 'S', comm);
    assert.is(s!.pgrp, 7, comm);
    assert.is(s!.startTime, '999', comm);
  }
});

test('parseStat: not a stat line is null', () => {
  for (const text of ['', 'garbage', '42 (x)', '42 (x) S 1 2', 'x (y) S 1 2 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 1 1']) {
    assert.is(parseStat(text), null, JSON.stringify(text));
  }
});

test('readStat: a real process named "a) (b" reads right; a gone PID is null', async () => {
  // comm is the basename of the file exec'd: a link named "a) (b" to sleep.
  const dir = mkdtempSync(path.join(tmpdir(), 'conductor-proc-'));
  symlinkSync('/bin/sleep', path.join(dir, 'a) (b'));
  const child = spawn(path.join(dir, 'a) (b'), ['30']);
  try {
    const pid = child.pid!;
    assert.ok(await pollUntil(() => readStat(pid)?.comm === 'a) (b', { timeoutMs: 5000, maxDelayMs: 10 }), "exec'd");
    const s = readStat(pid)!;
    assert.is(s.comm, 'a) (b');
    assert.is(s.ppid, process.pid);
    assert.match(s.startTime, /^[0-9]+$/);
    assert.is(startTimeOf(pid), s.startTime);
    assert.match(stateOf(pid)!, /^[RS]$/);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true });
  }
  await new Promise((r) => child.once('exit', r));
  assert.is(readStat(child.pid!), null);
  assert.is(startTimeOf(child.pid!), null);
});

const isAliveTheSameProcess =
  'isAlive: the same process is alive; a reused PID (other start time), a dead one and a zombie are not';
test(isAliveTheSameProcess, async () => {
  const child = spawn('/bin/sleep', ['30']);
  const ref = refOf(child.pid!)!;
  assert.ok(isAlive(ref));
  assert.not.ok(
    isAlive({ pid: ref.pid, startTime: String(Number(ref.startTime) + 1) }),
    'a reused PID is not the recorded process',
  );
  assert.not.ok(isAlive(undefined));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.not.ok(isAlive(ref));
  // A zombie: once the shell has become sleep (which never reaps), its killed child stays a zombie.
  const parent = spawn('/bin/sh', ['-c', '/bin/sleep 30 & echo $!; exec /bin/sleep 30'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const pid = Number(await new Promise<string>((r) => parent.stdout!.once('data', (d: Buffer) => r(d.toString()))));
    const zref = refOf(pid)!;
    assert.ok(isAlive(zref));
    assert.ok(
      await pollUntil(() => readStat(parent.pid!)?.comm === 'sleep', { timeoutMs: 5000, maxDelayMs: 10 }),
      "the shell exec'd sleep",
    );
    process.kill(pid, 'SIGKILL');
    assert.ok(
      await pollUntil(() => stateOf(pid) === 'Z', { timeoutMs: 5000, maxDelayMs: 10 }),
      'the child is a zombie',
    );
    assert.is(startTimeOf(pid), zref.startTime, 'same process, still in the table');
    assert.not.ok(isAlive(zref), 'a zombie is not alive');
  } finally {
    parent.kill('SIGKILL');
  }
});

test('killTargets: each group led in the tree, then every live process itself, members too', () => {
  const p = (pid: number, pgrp: number, state = 'S'): ProcStat => ({
    pid,
    comm: 'x',
    state,
    ppid: 1,
    pgrp,
    startTime: '1',
  });
  // sh leads group 10; 11 is a member; 12 is a member at the snapshot that calls setsid() a moment
  // later (`setsid sleep &`), which the group's signal then misses; 13 is a zombie; 14 is in a
  // group led outside the tree.
  const tree = [p(10, 10), p(11, 10), p(12, 10), p(13, 10, 'Z'), p(14, 99)];
  assert.equal(killTargets(tree), [-10, 10, 11, 12, 14]);
  assert.equal(killTargets([]), []);
});

test.run();
