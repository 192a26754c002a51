import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { exitCodeOf } from '../../../sdk/host/signals.ts';

test('exitCodeOf: an exit code is kept as it is, 0 included', () => {
  assert.is(exitCodeOf(0, null), 0);
  assert.is(exitCodeOf(3, null), 3);
  assert.is(exitCodeOf(255, null), 255);
});

test('exitCodeOf: 128 + the signal number, for every signal, not a partial table', () => {
  assert.is(exitCodeOf(null, 'SIGKILL'), 137);
  assert.is(exitCodeOf(null, 'SIGTERM'), 143);
  assert.is(exitCodeOf(null, 'SIGUSR1'), 138, 'SIGUSR1 is 10 on Linux (the old table made it 128)');
  assert.is(exitCodeOf(null, 'SIGUSR2'), 140);
  assert.is(exitCodeOf(null, 'SIGALRM'), 142);
  assert.is(exitCodeOf(null, 'SIGABRT'), 134);
  assert.is(exitCodeOf(null, 'SIGSYS'), 159);
});

test('exitCodeOf: agrees with the shell for a child killed by a signal', () => {
  for (const sig of ['USR1', 'USR2', 'HUP', 'ALRM', 'TERM', 'XCPU'] as const) {
    const node = spawnSync('/bin/sh', ['-c', `kill -${sig} $$`]);
    const shell = spawnSync('/bin/sh', ['-c', `/bin/sh -c 'kill -${sig} $$'; exit $?`]);
    assert.is(exitCodeOf(node.status, node.signal), shell.status, sig);
  }
});

test('exitCodeOf: neither code nor a known signal is 128', () => {
  assert.is(exitCodeOf(null, null), 128);
  assert.is(exitCodeOf(null, 'SIGNOTREAL' as NodeJS.Signals), 128);
});

test.run();
