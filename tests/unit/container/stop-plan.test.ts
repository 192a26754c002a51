import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planStop } from '../../../sdk/container/stop-plan.ts';
import { RECORD_VERSION, type ContainerRecord } from '../../../sdk/types.ts';

const rec: ContainerRecord = {
  version: RECORD_VERSION,
  name: 'web',
  image: 'img',
  command: ['sleep', '1'],
  env: [],
  workdir: '/',
  hostname: 'web',
  createdAt: new Date(0).toISOString(),
  detached: true,
  autoRemove: false,
  limits: { memory: 1 << 26 },
  init: { pid: 4242, startTime: '1' },
  monitor: { pid: 4240, startTime: '1' },
  cgroups: ['/sys/fs/cgroup/conductor/ab12'],
  network: {
    ip: '10.177.0.2',
    prefixLength: 32,
    gateway: '10.177.0.1',
    hostInterface: 'cnd0badf00d',
    internet: false,
    ports: [],
    peers: ['db'],
  },
  undo: [
    {
      op: { kind: 'exec', argv: ['ip', 'link', 'del', 'cnd0badf00d'] },
      about: 'delete veth cnd0badf00d (and its peer)',
    },
    { op: { kind: 'sysctl', key: 'net.ipv4.conf.cnd0badf00d.forwarding', value: '0' }, about: 'reset forwarding' },
  ],
  security: { privileged: false, capAdd: [], capDrop: [] },
};

test('stop plan (golden): signals, cgroup kill, undos newest first, peers, cgroup removal, the directory', () => {
  assert.equal(
    planStop({
      name: 'web',
      rec,
      dir: '/r/.containers/web',
      initAlive: true,
      monitorAlive: true,
      timeoutSeconds: 10,
      signal: 'SIGRTMIN+3',
      peerHosts: [{ name: 'db', file: '/r/.containers/db/hosts' }],
      strayCgroups: [],
    }),
    [
      '# stop container "web"',
      'kill -RTMIN+3 4242   # its init; still alive after 10 s: kill -KILL 4242',
      "kill -KILL -- -4240   # the monitor's process group, if it outlives the init",
      'echo 1 > /sys/fs/cgroup/conductor/ab12/cgroup.kill   # any process left ' +
        'in its cgroup (v1: SIGKILL each pid in cgroup.procs)',
      '# reset forwarding',
      'sysctl -qw net.ipv4.conf.cnd0badf00d.forwarding=0',
      '# delete veth cnd0badf00d (and its peer)',
      'ip link del cnd0badf00d',
      '# forget "web" in "db"',
      "# remove the line '10.177.0.2 web' from /r/.containers/db/hosts, rewriting it in place (same inode)",
      'rmdir /sys/fs/cgroup/conductor/ab12   # and any child cgroups, deepest first',
      'rm -rf /r/.containers/web   # refused while anything is mounted under it',
    ],
  );
});

const anExitedContainerIs =
  'an exited container is not signalled; a half-made one without a record still loses its directory and stray cgroups';
test(anExitedContainerIs, () => {
  const exited = planStop({
    name: 'web',
    rec,
    dir: '/d',
    initAlive: false,
    monitorAlive: false,
    timeoutSeconds: 10,
    signal: 'SIGTERM',
    peerHosts: [],
    strayCgroups: [],
  });
  assert.not.ok(exited.some((l) => l.startsWith('kill ')));
  assert.equal(
    planStop({
      name: 'half',
      rec: null,
      dir: '/d',
      initAlive: false,
      monitorAlive: false,
      timeoutSeconds: 0,
      signal: 'SIGTERM',
      peerHosts: [],
      strayCgroups: ['/cg/x'],
    }),
    [
      '# stop container "half"',
      'echo 1 > /cg/x/cgroup.kill   # any process left in its cgroup (v1: SIGKILL each pid in cgroup.procs)',
      'rmdir /cg/x   # and any child cgroups, deepest first',
      'rm -rf /d   # refused while anything is mounted under it',
    ],
  );
});

test.run();
