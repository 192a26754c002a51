import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planRun, type RunPlanInput } from '../../../sdk/container/run-plan.ts';
import { planCgroups } from '../../../sdk/limits/plan.ts';

const D = '/r/.containers/web';
const cgroups = planCgroups({ version: 2, root: '/sys/fs/cgroup', controllers: ['memory', 'cpu', 'pids'] }, 'ab12', {
  memory: 1 << 26,
});

function input(over: Partial<RunPlanInput> = {}): RunPlanInput {
  return {
    name: 'web',
    newVolumes: [],
    dir: D,
    record: `${D}/state.json`,
    dirs: [`${D}/upper`, `${D}/work`, `${D}/rootfs`],
    files: [
      { file: `${D}/hostname`, content: 'web\n' },
      { file: `${D}/log`, content: '' },
    ],
    filter: { from: '/c/seccomp/k.bpf', to: `${D}/seccomp.bpf` },
    cgroups,
    overlay: {
      lowerdirs: ['/r/.layers/L2/diff', '/c/base/rootfs'],
      upper: `${D}/upper`,
      work: `${D}/work`,
      target: `${D}/rootfs`,
    },
    binds: [{ src: `${D}/hostname`, dst: 'etc/hostname' }],
    mounts: [],
    readOnly: false,
    argv: ['/usr/bin/unshare', '--pid', '--', '/m', '--', '/i', '--env', 'A=b c', '--', 'sleep', '1'],
    fds: ['the launch protocol', '/sys/fs/cgroup/conductor/ab12/cgroup.procs'],
    network: null,
    pidWord: 'INIT_PID',
    detach: true,
    autoRemove: false,
    ...over,
  };
}

test('run plan (golden): directory and files, cgroups and limits, the argv, the overlay and binds', () => {
  assert.equal(planRun(input()), [
    '# run container "web"',
    '# its directory, its record and the files lent to it',
    `mkdir -m 700 ${D}`,
    `: > ${D}/state.json   # the record (JSON), marked "creating" until its init and monitor are recorded`,
    `mkdir -p ${D}/upper ${D}/work ${D}/rootfs`,
    `cat > ${D}/hostname <<'EOF'`,
    'web',
    'EOF',
    `: > ${D}/log`,
    `ln /c/seccomp/k.bpf ${D}/seccomp.bpf || cp /c/seccomp/k.bpf ${D}/seccomp.bpf   # its seccomp filter, pinned`,
    '# its cgroups, and the limits written in them',
    "echo '+memory +cpu +pids' > /sys/fs/cgroup/cgroup.subtree_control   # the controllers, for the cgroups below",
    "echo '+memory +cpu +pids' > /sys/fs/cgroup/conductor/cgroup.subtree_control" +
      '   # the controllers, for the cgroups below',
    'mkdir -p /sys/fs/cgroup/conductor/ab12',
    'echo 67108864 > /sys/fs/cgroup/conductor/ab12/memory.max',
    'echo 0 > /sys/fs/cgroup/conductor/ab12/memory.swap.max   # only if the kernel offers it',
    '# attach a BPF device filter to /sys/fs/cgroup/conductor/ab12 allowing 11 rules: ' +
      (cgroups.devices as { rules: string[] }).rules.join(', '),
    '# launch (detached: the monitor outlives the caller); ' +
      'fds 3=the launch protocol, 4=/sys/fs/cgroup/conductor/ab12/cgroup.procs',
    "/usr/bin/unshare --pid -- /m -- /i --env 'A=b c' -- sleep 1",
    "# in the container's new mount namespace (gone with it), the init helper mounts:",
    'mount -t overlay overlay -o lowerdir=/r/.layers/L2/diff:/c/base/rootfs,' +
      `upperdir=${D}/upper,workdir=${D}/work ${D}/rootfs`,
    `mount --bind ${D}/hostname ${D}/rootfs/etc/hostname`,
  ]);
});

test('run plan: new volumes first, user mounts and a read-only root, the network, --rm', () => {
  const lines = planRun(
    input({
      newVolumes: [{ name: 'data', dir: '/r/.volumes/data' }],
      mounts: [
        { mount: { type: 'volume', source: 'data', target: '/var/lib/x' }, hostPath: '/r/.volumes/data/_data' },
        { mount: { type: 'tmpfs', target: '/tmp', options: ['size=1m'] } },
      ],
      readOnly: true,
      network: ['# veth', 'ip link add v type veth peer name eth0 netns INIT_PID'],
      autoRemove: true,
      filter: null,
      detach: false,
    }),
  );
  assert.equal(lines.slice(1, 4), [
    '# create volume "data"',
    'mkdir -p /r/.volumes/data/_data',
    ': > /r/.volumes/data/volume.json   # its record (JSON)',
  ]);
  assert.ok(
    lines.includes(
      `mount --bind -o rw /r/.volumes/data/_data ${D}/rootfs/var/lib/x` +
        "   # /var/lib/x resolved inside the container's root",
    ),
  );
  assert.ok(
    lines.includes(`mount -t tmpfs -o rw,size=1m tmpfs ${D}/rootfs/tmp   # /tmp resolved inside the container's root`),
  );
  assert.ok(lines.includes(`mount -o remount,bind,ro ${D}/rootfs`));
  assert.not.ok(
    lines.some((l) => l.includes('seccomp.bpf')),
    'unconfined: no filter pinned',
  );
  assert.ok(
    lines.some((l) => l.startsWith('# launch;')),
    'attached',
  );
  const net = lines.indexOf("# its network, wired while the command is held (INIT_PID: the init's host PID)");
  assert.equal(lines.slice(net + 1, net + 3), ['# veth', 'ip link add v type veth peer name eth0 netns INIT_PID']);
  assert.is(lines.at(-1), '# when the command exits (--rm): removed as by `conductor stop`');
});

test('run plan: a v1 host reads the devices list back; a privileged container has no device restriction', () => {
  const v1 = planCgroups(
    { version: 1, controllers: { pids: '/sys/fs/cgroup/pids', devices: '/sys/fs/cgroup/devices' } },
    'ab12',
    {},
  );
  const lines = planRun(input({ cgroups: v1 }));
  assert.ok(lines.includes('mkdir -p /sys/fs/cgroup/devices/conductor/ab12'));
  assert.ok(lines.includes('echo a > /sys/fs/cgroup/devices/conductor/ab12/devices.deny'));
  assert.ok(lines.some((l) => l.startsWith('# read back /sys/fs/cgroup/devices/conductor/ab12/devices.list')));
  const priv = planCgroups({ version: 2, root: '/sys/fs/cgroup', controllers: [] }, 'ab12', {}, { allDevices: true });
  assert.ok(planRun(input({ cgroups: priv })).includes('# no device restriction (privileged)'));
});

test.run();
