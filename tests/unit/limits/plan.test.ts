import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cgroupDirsFor, planCgroups } from '../../../sdk/limits/plan.ts';
import { detectLayoutFrom, type CgroupLayout } from '../../../sdk/limits/layout.ts';
import { failure } from '../../helpers/expect-error.ts';
import { HYBRID, MiB, V1_CPUACCT, V1_HYBRID, V1_NO_DEVICES, V1_NO_PIDS, V2 } from './fixtures.ts';

const ALL = { memory: 256 * MiB, cpus: 0.5, pids: 100 };
/** Docker's default device allow list (runc specconv.AllowedDevices), spelled out. */
const RULES = [
  'c *:* m',
  'b *:* m',
  'c 1:3 rwm',
  'c 1:8 rwm',
  'c 1:7 rwm',
  'c 5:0 rwm',
  'c 1:5 rwm',
  'c 1:9 rwm',
  'c 136:* rwm',
  'c 5:2 rwm',
  'c 10:200 rwm',
];
const bpf = (cgroup: string) => ({ kind: 'bpf' as const, cgroup, rules: RULES });
/** The v1 writes that empty a devices cgroup and allow RULES. */
const deviceWrites = (dir: string) => [
  { file: `${dir}/devices.deny`, value: 'a' },
  ...RULES.map((value) => ({ file: `${dir}/devices.allow`, value })),
];
const UNAVAILABLE = { kind: 'none' as const, reason: 'unavailable' as const };

test('planCgroups: v2 golden plan', () => {
  const d = '/sys/fs/cgroup/conductor/0123456789ab';
  assert.equal(planCgroups(V2, '0123456789ab', ALL), {
    dirs: [d],
    writes: [
      { file: `${d}/memory.max`, value: '268435456' },
      { file: `${d}/memory.swap.max`, value: '0', optional: true },
      { file: `${d}/cpu.max`, value: '50000 100000' },
      { file: `${d}/pids.max`, value: '100' },
    ],
    procs: [`${d}/cgroup.procs`],
    enable: [
      { file: '/sys/fs/cgroup/cgroup.subtree_control', value: '+memory +cpu +pids' },
      { file: '/sys/fs/cgroup/conductor/cgroup.subtree_control', value: '+memory +cpu +pids' },
    ],
    devices: bpf(d),
  });
});

test('planCgroups: v2 without limits still makes the tracking cgroup; only offered controllers are enabled', () => {
  const d = '/sys/fs/cgroup/conductor/x';
  assert.equal(planCgroups(V2, 'x', {}), {
    dirs: [d],
    writes: [],
    procs: [`${d}/cgroup.procs`],
    enable: [
      { file: '/sys/fs/cgroup/cgroup.subtree_control', value: '+memory +cpu +pids' },
      { file: '/sys/fs/cgroup/conductor/cgroup.subtree_control', value: '+memory +cpu +pids' },
    ],
    devices: bpf(d),
  });
  const bare: CgroupLayout = { version: 2, root: '/sys/fs/cgroup', controllers: ['io'] };
  assert.equal(planCgroups(bare, 'x', {}), {
    dirs: [d],
    writes: [],
    procs: [`${d}/cgroup.procs`],
    enable: [],
    devices: bpf(d),
  });
  const partial: CgroupLayout = { version: 2, root: '/sys/fs/cgroup/unified', controllers: ['pids', 'memory'] };
  assert.equal(planCgroups(partial, 'x', { pids: 5 }), {
    dirs: ['/sys/fs/cgroup/unified/conductor/x'],
    writes: [{ file: '/sys/fs/cgroup/unified/conductor/x/pids.max', value: '5' }],
    procs: ['/sys/fs/cgroup/unified/conductor/x/cgroup.procs'],
    enable: [
      { file: '/sys/fs/cgroup/unified/cgroup.subtree_control', value: '+memory +pids' },
      { file: '/sys/fs/cgroup/unified/conductor/cgroup.subtree_control', value: '+memory +pids' },
    ],
    devices: bpf('/sys/fs/cgroup/unified/conductor/x'),
  });
  assert.is(
    failure(() => planCgroups(partial, 'x', { cpus: 1 }), 'CGROUP_UNAVAILABLE'),
    'the "cpu" cgroup controller is not available on this host (it is not listed in ' +
      '/sys/fs/cgroup/unified/cgroup.controllers; run without --cpus or enable it on the host)',
  );
});

test('planCgroups: v1 golden plan (hybrid host)', () => {
  const id = '0123456789ab';
  const [m, c, p, dv] = ['memory', 'cpu', 'pids', 'devices'].map((x) => `/sys/fs/cgroup/${x}/conductor/${id}`);
  assert.equal(planCgroups(V1_HYBRID, id, ALL), {
    dirs: [m, c, p, dv],
    writes: [
      { file: `${m}/memory.limit_in_bytes`, value: '268435456' },
      { file: `${m}/memory.memsw.limit_in_bytes`, value: '268435456', optional: true },
      { file: `${c}/cpu.cfs_period_us`, value: '100000' },
      { file: `${c}/cpu.cfs_quota_us`, value: '50000' },
      { file: `${p}/pids.max`, value: '100' },
      ...deviceWrites(dv!),
    ],
    procs: [`${m}/tasks`, `${c}/tasks`, `${p}/tasks`, `${dv}/tasks`],
    enable: [],
    devices: { kind: 'v1', list: `${dv}/devices.list`, expect: RULES },
  });
  assert.equal(detectLayoutFrom(HYBRID, ''), V1_HYBRID);
});

test('planCgroups: devices — v1 without limits still gets its devices cgroup; privileged gets none', () => {
  const [p, dv] = ['pids', 'devices'].map((x) => `/sys/fs/cgroup/${x}/conductor/x`);
  assert.equal(planCgroups(V1_HYBRID, 'x', {}), {
    dirs: [p, dv],
    writes: deviceWrites(dv!),
    procs: [`${p}/tasks`, `${dv}/tasks`],
    enable: [],
    devices: { kind: 'v1', list: `${dv}/devices.list`, expect: RULES },
  });
  // "deny a" must come before every allow, or it would wipe them.
  const files = planCgroups(V1_HYBRID, 'x', ALL).writes.map((w) => w.file.split('/').pop());
  assert.is(files.indexOf('devices.deny'), files.indexOf('devices.allow') - 1);
  assert.is(files.lastIndexOf('devices.deny'), files.indexOf('devices.deny'));
  // Docker's --privileged allows every device: no devices cgroup, no filter.
  const priv = { kind: 'none', reason: 'privileged' };
  assert.equal(planCgroups(V1_HYBRID, 'x', {}, { allDevices: true }), {
    dirs: [p],
    writes: [],
    procs: [`${p}/tasks`],
    enable: [],
    devices: priv,
  });
  assert.equal(planCgroups(V2, 'x', {}, { allDevices: true }).devices, priv);
  // No v1 devices hierarchy: nodev mounts are the only wall, and the plan says so.
  assert.equal(planCgroups(V1_NO_DEVICES, 'x', {}).devices, UNAVAILABLE);
  // devices co-mounted with another controller shares its directory.
  const shared: CgroupLayout = { version: 1, controllers: { memory: '/cg/md', devices: '/cg/md', pids: '/cg/pids' } };
  const plan = planCgroups(shared, 'x', { memory: 64 * MiB });
  assert.equal(plan.dirs, ['/cg/md/conductor/x', '/cg/pids/conductor/x']);
  assert.equal(plan.devices, { kind: 'v1', list: '/cg/md/conductor/x/devices.list', expect: RULES });
  assert.equal(detectLayoutFrom('1 0 0:1 / /cg/md rw - cgroup cgroup rw,memory,devices\n', null), {
    version: 1,
    controllers: { memory: '/cg/md', devices: '/cg/md' },
  });
});

test('cgroupDirsFor: every dir a plan with any limits could make, for stop to find', () => {
  const id = '0123456789ab';
  const all = { memory: 64 * MiB, cpus: 1, pids: 5 };
  for (const layout of [V1_HYBRID, V1_NO_DEVICES, V2]) {
    const possible = cgroupDirsFor(layout, id);
    for (const limits of [{}, all])
      for (const allDevices of [false, true])
        for (const d of planCgroups(layout, id, limits, { allDevices }).dirs) assert.ok(possible.includes(d), d);
  }
  assert.ok(cgroupDirsFor(V1_HYBRID, id).includes(`/sys/fs/cgroup/devices/conductor/${id}`));
  assert.equal(cgroupDirsFor(V2, id), [`/sys/fs/cgroup/conductor/${id}`]);
});

test('planCgroups: v1 creates only the hierarchies it needs, pids always', () => {
  const p = '/sys/fs/cgroup/pids/conductor/x';
  assert.equal(planCgroups(V1_NO_DEVICES, 'x', {}), {
    dirs: [p],
    writes: [],
    procs: [`${p}/tasks`],
    enable: [],
    devices: UNAVAILABLE,
  });
  const c = '/sys/fs/cgroup/cpu/conductor/x';
  assert.equal(planCgroups(V1_NO_DEVICES, 'x', { cpus: 1.234567 }), {
    dirs: [c, p],
    writes: [
      { file: `${c}/cpu.cfs_period_us`, value: '100000' },
      { file: `${c}/cpu.cfs_quota_us`, value: '123457' },
    ],
    procs: [`${c}/tasks`, `${p}/tasks`],
    enable: [],
    devices: UNAVAILABLE,
  });
});

test('planCgroups: v1 combined cpu,cpuacct and co-mounted controllers', () => {
  const layout = detectLayoutFrom(V1_CPUACCT, '');
  const c = '/sys/fs/cgroup/cpu,cpuacct/conductor/x';
  assert.equal(planCgroups(layout, 'x', { cpus: 2 }).writes, [
    { file: `${c}/cpu.cfs_period_us`, value: '100000' },
    { file: `${c}/cpu.cfs_quota_us`, value: '200000' },
  ]);
  const shared: CgroupLayout = { version: 1, controllers: { memory: '/cg/mp', pids: '/cg/mp', cpu: '/cg/cpu' } };
  const plan = planCgroups(shared, 'x', { memory: 64 * MiB, pids: 10 });
  assert.equal(plan.dirs, ['/cg/mp/conductor/x']);
  assert.equal(plan.procs, ['/cg/mp/conductor/x/tasks']);
});

test('planCgroups: v1 missing controllers', () => {
  const noPids = detectLayoutFrom(V1_NO_PIDS, null);
  assert.is(
    failure(() => planCgroups(noPids, 'x', { pids: 10 }), 'CGROUP_UNAVAILABLE'),
    'the "pids" cgroup controller is not available on this host (no cgroup v1 hierarchy with ' +
      'it is mounted; run without --pids-limit or enable it on the host)',
  );
  // Without pids, processes are tracked in the memory hierarchy.
  assert.equal(planCgroups(noPids, 'x', {}).dirs, ['/sys/fs/cgroup/memory/conductor/x']);
  const nothing: CgroupLayout = { version: 1, controllers: {} };
  assert.equal(planCgroups(nothing, 'x', {}), { dirs: [], writes: [], procs: [], enable: [], devices: UNAVAILABLE });
  const e = failure(() => planCgroups(nothing, 'x', { memory: 64 * MiB }), 'CGROUP_UNAVAILABLE');
  assert.ok(e.startsWith('the "memory" cgroup controller is not available on this host ('), e);
});

test('planCgroups: rejects bad ids and limits that bypassed the parsers', () => {
  for (const id of ['', '.', '..', '../x', 'a/b', '-x', 'a b']) {
    failure(() => planCgroups(V2, id, {}), 'INTERNAL');
  }
  assert.is(
    failure(() => planCgroups(V2, 'x', { memory: 1000 }), 'INVALID_ARGUMENT'),
    'invalid --memory "1000" (use a whole number of bytes from 6 MiB up)',
  );
  failure(() => planCgroups(V2, 'x', { memory: 7.5 * MiB + 0.5 }), 'INVALID_ARGUMENT');
  failure(() => planCgroups(V1_HYBRID, 'x', { cpus: 0 }), 'INVALID_ARGUMENT');
  failure(() => planCgroups(V1_HYBRID, 'x', { cpus: NaN }), 'INVALID_ARGUMENT');
  failure(() => planCgroups(V1_HYBRID, 'x', { pids: 0 }), 'INVALID_ARGUMENT');
  failure(() => planCgroups(V1_HYBRID, 'x', { pids: 2.5 }), 'INVALID_ARGUMENT');
});

test.run();
