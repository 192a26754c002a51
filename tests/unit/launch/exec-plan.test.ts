import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planExec } from '../../../sdk/launch/exec-plan.ts';
import type { ContainerRecord, SecurityOptions } from '../../../sdk/types.ts';

const SEC: SecurityOptions = { privileged: false, capAdd: [], capDrop: [] };
const rec = (over: Partial<ContainerRecord> = {}): ContainerRecord =>
  ({
    name: 'web',
    hostname: 'web',
    env: ['PATH=/bin', 'APP=1'],
    workdir: '/srv',
    security: SEC,
    ...over,
  }) as ContainerRecord;

/** The helper's options: what follows /proc/self/fd/3, up to the command. */
const helperOf = (argv: string[]): string[] => argv.slice(argv.indexOf('/proc/self/fd/3') + 1, argv.indexOf('--'));

test('planExec: golden argv — nsenter into every namespace of the init, then the helper from fd 3', () => {
  assert.equal(planExec(rec(), 4121, ['ls', '-l'], {}, [4, 5], true), [
    '/usr/bin/nsenter',
    '-t',
    '4121',
    '-m',
    '-u',
    '-i',
    '-n',
    '-p',
    '-C',
    '-r',
    '-w',
    '/proc/self/fd/3',
    '--cgroup-fd',
    '4',
    '--cgroup-fd',
    '5',
    '--workdir',
    '/srv',
    '--env',
    'PATH=/bin',
    '--env',
    'HOSTNAME=web',
    '--env',
    'HOME=/root',
    '--env',
    'APP=1',
    '--',
    'ls',
    '-l',
  ]);
});

test('planExec: no cgroup namespace on the host means no -C; the rest is unchanged', () => {
  const withNs = planExec(rec(), 1, ['true'], {}, [], true);
  const without = planExec(rec(), 1, ['true'], {}, [], false);
  assert.equal(
    without,
    withNs.filter((a) => a !== '-C'),
  );
});

test('planExec: -e overrides the container env, -w the workdir; -t adds TERM', () => {
  const argv = planExec(rec(), 1, ['env'], { env: ['APP=2', 'NEW=x'], workdir: '/tmp', tty: true }, [], true);
  const h = helperOf(argv);
  assert.equal(h.slice(0, 2), ['--workdir', '/tmp']);
  const env = h.filter((_, i) => h[i - 1] === '--env');
  assert.ok(env.includes('APP=2') && !env.includes('APP=1'), env.join(' '));
  assert.ok(env.includes('NEW=x'));
  assert.ok(env.includes('TERM=xterm'));
  assert.not.ok(helperOf(planExec(rec(), 1, ['env'], {}, [], true)).includes('TERM=xterm'));
});

test('planExec: capabilities and privilege from the record; console and seccomp fds in their places', () => {
  const caps = helperOf(
    planExec(
      rec({ security: { privileged: false, capAdd: ['NET_ADMIN'], capDrop: ['CHOWN'] } }),
      1,
      ['x'],
      {},
      [],
      true,
    ),
  );
  assert.equal(caps.slice(-4), ['--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN']);
  const priv = helperOf(
    planExec(rec({ security: { privileged: true, capAdd: [], capDrop: [] } }), 1, ['x'], {}, [], true),
  );
  assert.is(priv.at(-1), '--privileged');
  const fds = planExec(rec(), 1, ['x'], { tty: true }, [4], true, { consoleFd: 6, seccompFd: 7 });
  const h = helperOf(fds);
  assert.equal(h.slice(h.indexOf('--console-socket'), h.indexOf('--console-socket') + 2), ['--console-socket', '6']);
  assert.equal(
    fds.slice(-4),
    ['--seccomp-fd', '7', '--', 'x'],
    'the seccomp filter goes in last, right before the command',
  );
});

test('planExec: the command is passed through as separate words, never through a shell', () => {
  const cmd = ['sh', '-c', 'echo "$HOME"; rm -rf --', '--', '-t', ''];
  const argv = planExec(rec(), 1, cmd, {}, [], true);
  assert.equal(argv.slice(argv.indexOf('--') + 1), cmd);
  assert.not.ok(argv.slice(0, argv.indexOf('--')).includes('/bin/sh'));
});

test.run();
