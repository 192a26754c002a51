import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planExec } from '../../../sdk/launch/exec-plan.ts';
import type { ContainerRecord } from '../../../sdk/types.ts';
import {
  containerEnv,
  hostsFile,
  initArgs,
  lowerdirOption,
  planLaunch,
  securityArgs,
  withCallerValues,
  type LaunchSpec,
} from '../../../sdk/launch/launch-plan.ts';
import { mergeEnv } from '../../../sdk/image/image-config.ts';

function spec(over: Partial<LaunchSpec> = {}): LaunchSpec {
  return {
    lowerdirs: ['/r/.layers/k2/diff', '/r/.layers/k1/diff', '/c/base/debian-bookworm/rootfs'],
    upper: '/r/.containers/web/upper',
    work: '/r/.containers/web/work',
    rootfs: '/r/.containers/web/rootfs',
    hosts: '/r/.containers/web/hosts',
    hostnameFile: '/r/.containers/web/hostname',
    resolv: '/r/.containers/web/resolv.conf',
    hostname: 'web',
    network: 'none',
    env: ['PATH=/usr/bin:/bin', 'HOSTNAME=web'],
    workdir: '/',
    command: ['/bin/sh', '-c', 'echo hi'],
    initHelper: '/pkg/native/conductor-init',
    monitor: '/pkg/native/conductor-monitor',
    security: { privileged: false, capAdd: [], capDrop: [] },
    cgroupFds: [],
    readyFd: 3,
    cgroupNamespace: true,
    waitForGo: false,
    ...over,
  };
}

test('planLaunch golden argv', () => {
  assert.equal(
    planLaunch(spec({ cgroupFds: [4, 5], security: { privileged: false, capAdd: ['NET_ADMIN'], capDrop: ['CHOWN'] } })),
    [
      '/pkg/native/conductor-monitor',
      '--ns',
      'uts,ipc,net,pid',
      '--ready-fd',
      '3',
      '--pid-file',
      '/r/.containers/web/rootfs.pid',
      '--',
      '/pkg/native/conductor-init',
      '--cgroup-fd',
      '4',
      '--cgroup-fd',
      '5',
      '--hostname',
      'web',
      '--rootfs',
      '/r/.containers/web/rootfs',
      '--mount-proc',
      '--mkdir-workdir',
      '--overlay-lower',
      '/r/.layers/k2/diff:/r/.layers/k1/diff:/c/base/debian-bookworm/rootfs',
      '--overlay-upper',
      '/r/.containers/web/upper',
      '--overlay-work',
      '/r/.containers/web/work',
      '--bind-file',
      '/r/.containers/web/hosts:etc/hosts',
      '--bind-file',
      '/r/.containers/web/hostname:etc/hostname',
      '--bind-file',
      '/r/.containers/web/resolv.conf:etc/resolv.conf',
      '--cgroupns',
      '--unprivileged-ping',
      '--workdir',
      '/',
      '--ready-fd',
      '3',
      '--env',
      'PATH=/usr/bin:/bin',
      '--env',
      'HOSTNAME=web',
      '--cap-add',
      'NET_ADMIN',
      '--cap-drop',
      'CHOWN',
      '--',
      '/bin/sh',
      '-c',
      'echo hi',
    ],
  );
});

test('builds lend only resolv.conf: empty bind sources are left out', () => {
  const a = initArgs(spec({ hosts: '', hostnameFile: '' }), 'run');
  assert.equal(
    a.filter((_, i) => a[i - 1] === '--bind-file'),
    ['/r/.containers/web/resolv.conf:etc/resolv.conf'],
  );
});

test("host network: no --net, and never ping_group_range (it would be the host's)", () => {
  const argv = planLaunch(spec({ network: 'host' }));
  assert.is(argv[argv.indexOf('--ns') + 1], 'uts,ipc,pid');
  assert.not.ok(argv.includes('--unprivileged-ping'));
  assert.ok(planLaunch(spec()).includes('--unprivileged-ping'));
});

test("the cgroup namespace is the helper's (after joining the cgroups), never the monitor's", () => {
  assert.not.ok(planLaunch(spec()).includes('--cgroup'));
  assert.ok(initArgs(spec(), 'run').includes('--cgroupns'));
  assert.not.ok(initArgs(spec({ cgroupNamespace: false }), 'run').includes('--cgroupns'));
  assert.not.ok(initArgs(spec(), 'exec').includes('--cgroupns'), "exec enters the container's (--join)");
});

test('every tool of a launch or an exec is an absolute path: they run with no environment, so no PATH', () => {
  const argv = planLaunch(spec({ diesWithCaller: true }));
  assert.is(argv[0], '/pkg/native/conductor-monitor');
  assert.ok(initArgs(spec(), 'run')[0]!.startsWith('/'));
  const rec = {
    name: 'web',
    hostname: 'web',
    env: ['A=1'],
    workdir: '/',
    security: { privileged: false, capAdd: [], capDrop: [] },
  } as unknown as ContainerRecord;
  const e = planExec(rec, { pid: 42, startTime: '7' }, ['ls'], {}, [3]);
  assert.ok(e[0]!.startsWith('/') && e[0]!.endsWith('/native/conductor-init'), e[0]);
  assert.equal(e.slice(1, 3), ['--join', '42:7']);
});

test('attached: the whole chain dies with its caller (--pdeathsig on the monitor and on the init)', () => {
  const a = planLaunch(spec({ diesWithCaller: true }));
  assert.ok(a.slice(0, a.indexOf('--')).includes('--pdeathsig'));
  assert.ok(initArgs(spec({ diesWithCaller: true }), 'run').includes('--pdeathsig'));
  assert.not.ok(planLaunch(spec()).slice(0, a.indexOf('--')).includes('--pdeathsig'));
});

test('detached with a restart policy and a health check: the monitor gets both', () => {
  const a = planLaunch(
    spec({ restart: { policy: 'on-failure', maxRetries: 2 }, health: { intervalMs: 500, probe: ['/p', 'x'] } }),
  );
  const m = a.slice(0, a.indexOf('--'));
  assert.equal(m.slice(m.indexOf('--restart')), [
    '--restart',
    'on-failure',
    '--restart-file',
    '/r/.containers/web/rootfs.restarts',
    '--restart-max',
    '2',
    '--health-interval-ms',
    '500',
    '--health-arg',
    '/p',
    '--health-arg',
    'x',
  ]);
});

test('detached: the monitor records the exit code and writes the capped log', () => {
  const a = planLaunch(
    spec({ exitFile: '/r/.containers/web/exitcode', log: { file: '/r/.containers/web/log', maxBytes: 1024 } }),
  );
  const m = a.slice(a.indexOf('/pkg/native/conductor-monitor'), a.indexOf('/pkg/native/conductor-init'));
  assert.equal(m, [
    '/pkg/native/conductor-monitor',
    '--ns',
    'uts,ipc,net,pid',
    '--ready-fd',
    '3',
    '--pid-file',
    '/r/.containers/web/rootfs.pid',
    '--exit-file',
    '/r/.containers/web/exitcode',
    '--log',
    '/r/.containers/web/log',
    '--log-max',
    '1024',
    '--',
  ]);
});

test('no shell anywhere in the launch: odd paths and names stay single arguments', () => {
  const b = planLaunch(spec({ rootfs: '/x y/$(reboot)', hostname: 'other', command: ['true'], lowerdirs: ['/l'] }));
  assert.not.ok(b.includes('/bin/sh'));
  assert.ok(b.includes('/x y/$(reboot)'));
  assert.ok(b.includes('/x y/$(reboot).pid'));
});

test('the user command is passed byte for byte, after the last --', () => {
  const tricky = [
    'sh',
    '-c',
    `echo "$(id -u)" 'single quote' ; rm -rf / && \`x\``,
    '  spaced  arg ',
    '',
    '--',
    '$HOME',
    'tab\there',
    'nl\nx',
    'ü✓',
  ];
  const argv = planLaunch(spec({ command: tricky }));
  assert.equal(argv.slice(argv.length - tricky.length), tricky);
  assert.is(argv[argv.length - tricky.length - 1], '--');
});

test('waitForGo makes the helper wait on the ready fd', () => {
  const a = initArgs(spec({ waitForGo: true, readyFd: 7 }), 'run');
  const at = a.indexOf('--wait-fd');
  assert.ok(at > 0);
  assert.is(a[at + 1], '7');
  assert.ok(at < a.indexOf('--'), 'a helper option, not part of the command');
  assert.not.ok(initArgs(spec(), 'run').includes('--wait-fd'));
});

test('privileged replaces capability flags', () => {
  assert.equal(securityArgs({ privileged: true, capAdd: ['SYS_ADMIN'], capDrop: ['CHOWN'] }), ['--privileged']);
  assert.equal(securityArgs({ privileged: false, capAdd: [], capDrop: [] }), []);
});

test('initArgs exec mode: no hostname/rootfs/mkdir', () => {
  const a = initArgs(spec({ workdir: '/srv', env: ['A=1'], command: ['ls'] }), 'exec');
  assert.equal(a, ['/pkg/native/conductor-init', '--workdir', '/srv', '--ready-fd', '3', '--env', 'A=1', '--', 'ls']);
});

test('lowerdirOption joins with colons in the given order', () => {
  assert.is(lowerdirOption(['/a', '/b', '/c']), '/a:/b:/c');
});

test('containerEnv defaults (Docker-like)', () => {
  assert.equal(containerEnv('web', false), [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOSTNAME=web',
    'HOME=/root',
  ]);
  assert.ok(containerEnv('web', true).includes('TERM=xterm'));
});

test('user values override the defaults in place, keep "=" in values, add new ones', () => {
  const env = mergeEnv(containerEnv('web', false), ['PATH=/opt/bin', 'A=b=c', 'EMPTY=', 'HOME=/home/app']);
  assert.equal(env, ['PATH=/opt/bin', 'HOSTNAME=web', 'HOME=/home/app', 'A=b=c', 'EMPTY=']);
});

const withCallerValuesABareNAME =
  "withCallerValues: a bare NAME takes the caller's value; without one it stays bare, and mergeEnv unsets it";
test(withCallerValuesABareNAME, () => {
  const caller = { CONDUCTOR_UNIT_X: 'from host', HOME: '/caller' };
  const env = withCallerValues(['CONDUCTOR_UNIT_X', 'CONDUCTOR_UNIT_MISSING', 'HOME', 'A=1'], caller);
  assert.equal(env, ['CONDUCTOR_UNIT_X=from host', 'CONDUCTOR_UNIT_MISSING', 'HOME=/caller', 'A=1']);
  assert.equal(
    mergeEnv(['CONDUCTOR_UNIT_MISSING=image', 'B=2'], env),
    ['CONDUCTOR_UNIT_MISSING=image', 'B=2', 'CONDUCTOR_UNIT_X=from host', 'HOME=/caller', 'A=1'].filter(
      (kv) => !kv.startsWith('CONDUCTOR_UNIT_MISSING'),
    ),
  );
});

test('the seccomp fd goes to the helper last before the command, in run and exec', () => {
  const a = initArgs(spec({ cgroupFds: [4], seccompFd: 5 }), 'run');
  assert.equal(a.slice(a.indexOf('--seccomp-fd'), a.indexOf('--seccomp-fd') + 3), ['--seccomp-fd', '5', '--']);
  assert.not.ok(initArgs(spec(), 'run').includes('--seccomp-fd'));
  const rec = {
    name: 'web',
    hostname: 'web',
    env: [],
    workdir: '/',
    security: { privileged: false, capAdd: [], capDrop: [] },
  } as unknown as ContainerRecord;
  const init = { pid: 42, startTime: '7' };
  const e = planExec(rec, init, ['ls'], {}, [3], { seccompFd: 4 });
  assert.equal(e.slice(-4), ['--seccomp-fd', '4', '--', 'ls']);
  assert.not.ok(planExec(rec, init, ['ls'], {}, [3]).includes('--seccomp-fd'));
});

test('hostsFile names localhost and the hostname', () => {
  const h = hostsFile('web');
  assert.match(h, /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(h, /^127\.0\.1\.1\tweb$/m);
  assert.ok(h.endsWith('\n'));
});

test('USER: --user goes to the init helper (run and exec); a user means no HOME default', () => {
  assert.not.ok(initArgs(spec(), 'run').includes('--user'));
  const a = initArgs(spec({ user: 'app:staff' }), 'run');
  assert.equal(a.slice(a.indexOf('--user'), a.indexOf('--user') + 2), ['--user', 'app:staff']);
  // After the environment, before the security flags and the command.
  assert.ok(a.indexOf('--user') < a.indexOf('--'));
  const rec = {
    name: 'web',
    hostname: 'web',
    env: ['A=1'],
    workdir: '/srv',
    user: 'app',
    security: { privileged: false, capAdd: [], capDrop: [] },
  } as unknown as ContainerRecord;
  const init = { pid: 42, startTime: '7' };
  const e = planExec(rec, init, ['id'], {}, []);
  assert.equal(e.slice(e.indexOf('--user'), e.indexOf('--user') + 2), ['--user', 'app']);
  assert.not.ok(e.includes('HOME=/root'));
  assert.ok(e.includes('/srv'));
  const o = planExec(rec, init, ['id'], { user: '0', workdir: '/tmp', env: ['A=2'] }, []);
  assert.equal(o.slice(o.indexOf('--user'), o.indexOf('--user') + 2), ['--user', '0']);
  // Any explicit user, root too, gets HOME from the image's passwd (the helper), not a default here.
  assert.ok(o.includes('/tmp') && o.includes('A=2') && !o.some((a) => a.startsWith('HOME=')));
  assert.not.ok(containerEnv('h', false, false).some((kv) => kv.startsWith('HOME=')));
});

test.run();
