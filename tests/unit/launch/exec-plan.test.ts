import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { INIT_HELPER } from '../../../sdk/config.ts';
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

const INIT = { pid: 4121, startTime: '98765' };
const ONE = { pid: 1, startTime: '1' };

/** The helper's options after --join, up to the command. */
const helperOf = (argv: string[]): string[] => argv.slice(3, argv.indexOf('--'));

test('planExec: golden argv — the helper joins the init (PID and start time), then its cgroups', () => {
  assert.equal(planExec(rec(), INIT, ['ls', '-l'], {}, [3, 4]), [
    INIT_HELPER,
    '--join',
    '4121:98765',
    '--cgroup-fd',
    '3',
    '--cgroup-fd',
    '4',
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

test('planExec: -e overrides the container env, -w the workdir; -t adds TERM', () => {
  const argv = planExec(rec(), ONE, ['env'], { env: ['APP=2', 'NEW=x'], workdir: '/tmp', tty: true }, []);
  const h = helperOf(argv);
  assert.equal(h.slice(0, 2), ['--workdir', '/tmp']);
  const env = h.filter((_, i) => h[i - 1] === '--env');
  assert.ok(env.includes('APP=2') && !env.includes('APP=1'), env.join(' '));
  assert.ok(env.includes('NEW=x'));
  assert.ok(env.includes('TERM=xterm'));
  assert.not.ok(helperOf(planExec(rec(), ONE, ['env'], {}, [])).includes('TERM=xterm'));
});

test('planExec: capabilities and privilege from the record; console and seccomp fds in their places', () => {
  const caps = helperOf(
    planExec(rec({ security: { privileged: false, capAdd: ['NET_ADMIN'], capDrop: ['CHOWN'] } }), ONE, ['x'], {}, []),
  );
  assert.equal(caps.slice(-4), ['--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN']);
  const priv = helperOf(planExec(rec({ security: { privileged: true, capAdd: [], capDrop: [] } }), ONE, ['x'], {}, []));
  assert.is(priv.at(-1), '--privileged');
  const fds = planExec(rec(), ONE, ['x'], { tty: true }, [3], { consoleFd: 5, seccompFd: 4 });
  const h = helperOf(fds);
  assert.equal(h.slice(h.indexOf('--console-socket'), h.indexOf('--console-socket') + 2), ['--console-socket', '5']);
  assert.equal(
    fds.slice(-4),
    ['--seccomp-fd', '4', '--', 'x'],
    'the seccomp filter goes in last, right before the command',
  );
});

test('planExec: the command is passed through as separate words, never through a shell', () => {
  const cmd = ['sh', '-c', 'echo "$HOME"; rm -rf --', '--', '-t', ''];
  const argv = planExec(rec(), ONE, cmd, {}, []);
  assert.equal(argv.slice(argv.indexOf('--') + 1), cmd);
  assert.not.ok(argv.slice(0, argv.indexOf('--')).includes('/bin/sh'));
});

test.run();
