// -t and stdio planning: where the console socket goes, what wraps the launch, and which of the
// caller's fds a container process may get.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initArgs, planLaunch, planTtyRelay, type LaunchSpec } from '../../../sdk/launch/launch-plan.ts';
import { planStdio } from '../../../sdk/launch/stdio-plan.ts';

function spec(over: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    lowerdirs: ['/l'],
    upper: '/c/upper',
    work: '/c/work',
    rootfs: '/c/rootfs',
    hosts: '',
    hostnameFile: '',
    resolv: '',
    hostname: 'web',
    network: 'none',
    env: [],
    workdir: '/',
    command: ['bash'],
    initHelper: '/pkg/init',
    monitor: '/pkg/monitor',
    security: { privileged: false, capAdd: [], capDrop: [] },
    cgroupFds: [4, 5],
    readyFd: 3,
    cgroupNamespace: false,
    waitForGo: false,
    ...over,
  };
}

const monitorPart = (a: string[]) => a.slice(a.indexOf('/pkg/monitor'), a.indexOf('/pkg/init'));

test('attached -t: the helper gets --console-socket, the monitor does not (the relay owns the pair)', () => {
  const a = planLaunch(spec({ consoleSocket: 6, diesWithCaller: true }));
  assert.equal(
    initArgs(spec({ consoleSocket: 6 }), 'run').filter(
      (x, i, all) => x === '--console-socket' || all[i - 1] === '--console-socket',
    ),
    ['--console-socket', '6'],
  );
  assert.not.ok(monitorPart(a).includes('--console-socket'));
  assert.ok(a.slice(a.indexOf('/pkg/init')).includes('--console-socket'));
});

test('detached -t: the monitor makes the pair and logs the pty', () => {
  const a = planLaunch(spec({ consoleSocket: 6, exitFile: '/c/exit', log: { file: '/c/log', maxBytes: 10 } }));
  assert.equal(monitorPart(a).slice(-3), ['--console-socket', '6', '--']);
});

test('no -t: no console anywhere', () => {
  assert.not.ok(planLaunch(spec()).includes('--console-socket'));
  assert.not.ok(planLaunch(spec({ log: { file: '/c/log', maxBytes: 1 } })).includes('--console-socket'));
});

test('planTtyRelay wraps the launch argv untouched', () => {
  const launch = ['setpriv', '--pdeathsig', 'KILL', 'unshare', '--', 'x y', '--stdin'];
  assert.equal(planTtyRelay('/pkg/tty', 6, true, launch), [
    '/pkg/tty',
    '--console-fd',
    '6',
    '--stdin',
    '--',
    ...launch,
  ]);
  assert.equal(planTtyRelay('/pkg/tty', 4, false, launch), ['/pkg/tty', '--console-fd', '4', '--', ...launch]);
});

const allTerminals = () => true;
const noTerminals = () => false;

test('planStdio: a terminal is never handed over without -t: pipes, copied', () => {
  const p = planStdio('inherit', false, false, allTerminals);
  assert.equal(p, { stdio: ['pipe', 'pipe', 'pipe'], copyStdin: true, copyStdout: true, copyStderr: true });
  const mixed = planStdio('inherit', false, false, (fd) => fd === 2);
  assert.equal(mixed, { stdio: ['inherit', 'inherit', 'pipe'], copyStdin: false, copyStdout: false, copyStderr: true });
});

test('planStdio: files and pipes pass as they are; ignore stays ignore', () => {
  assert.equal(planStdio('inherit', false, false, noTerminals).stdio, ['inherit', 'inherit', 'inherit']);
  assert.equal(planStdio('ignore', false, false, allTerminals), {
    stdio: ['ignore', 'pipe', 'pipe'],
    copyStdin: false,
    copyStdout: true,
    copyStderr: true,
  });
});

test('planStdio: the relay (trusted, host side) gets the terminal itself', () => {
  assert.equal(planStdio('inherit', false, true, allTerminals), {
    stdio: ['inherit', 'inherit', 'inherit'],
    copyStdin: false,
    copyStdout: false,
    copyStderr: false,
  });
});

test('planStdio: collected output and streamed input are pipes the SDK owns, never copied to the terminal', () => {
  assert.equal(planStdio('stream', true, false, allTerminals), {
    stdio: ['pipe', 'pipe', 'pipe'],
    copyStdin: false,
    copyStdout: false,
    copyStderr: false,
  });
});

test.run();
