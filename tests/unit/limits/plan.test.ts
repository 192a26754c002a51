import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  detectLayoutFrom,
  cgroupDirsFor,
  findCgroup2Mount,
  limitsFromFiles,
  parseCpus,
  parseMemory,
  parseOomKills,
  parsePids,
  planCgroups,
  type CgroupLayout,
} from '../../../sdk/limits/plan.ts';
import { cgroupId, killCgroup, removeCgroups, cgroupPids, oomKilled, readLimits } from '../../../sdk/limits/cgroupfs.ts';
import { isConductorError } from '../../../sdk/errors.ts';
import { failure } from '../../helpers/expect-error.ts';

const MiB = 1024 * 1024;


// --- parsing -------------------------------------------------------------------------------

test('parseMemory: docker-style sizes', () => {
  const cases: Array<[string, number]> = [
    ['256m', 256 * MiB],
    ['64M', 64 * MiB],
    ['1g', 1024 * MiB],
    ['1G', 1024 * MiB],
    ['6m', 6 * MiB],
    ['8192k', 8 * MiB],
    ['512000K', 512000 * 1024],
    ['1048576000', 1048576000],
    ['10485760b', 10 * MiB],
    ['10485760B', 10 * MiB],
    ['1.5g', 1536 * MiB],
    ['256mb', 256 * MiB],
    ['256MiB', 256 * MiB],
    [' 128m ', 128 * MiB],
  ];
  for (const [s, n] of cases) assert.is(parseMemory(s), n, s);
});

test('parseMemory: rejects junk and tiny values with one clear line', () => {
  assert.is(failure(() => parseMemory('abc'), 'INVALID_ARGUMENT'), 'invalid --memory "abc" (use e.g. 256m or 1g)');
  for (const bad of ['', 'm', '-1m', '1x', '1t', '256 mm', '0x10', '1e9', '12,5m', 'NaN', '1..5g']) {
    assert.is(failure(() => parseMemory(bad), 'INVALID_ARGUMENT'), `invalid --memory ${JSON.stringify(bad)} (use e.g. 256m or 1g)`, bad);
  }
  assert.is(failure(() => parseMemory('512k'), 'INVALID_ARGUMENT'), 'invalid --memory "512k" (the minimum is 6m)');
  assert.is(failure(() => parseMemory('1048576'), 'INVALID_ARGUMENT'), 'invalid --memory "1048576" (the minimum is 6m)');
  assert.is(failure(() => parseMemory('0'), 'INVALID_ARGUMENT'), 'invalid --memory "0" (the minimum is 6m)');
  assert.ok(failure(() => parseMemory('99999999999999g'), 'INVALID_ARGUMENT').startsWith('invalid --memory "99999999999999g"'));
});

test('parseCpus: positive decimals from 0.01', () => {
  const cases: Array<[string, number]> = [['0.5', 0.5], ['2', 2], ['1.25', 1.25], ['.5', 0.5], ['3.', 3], ['0.01', 0.01]];
  for (const [s, n] of cases) assert.is(parseCpus(s), n, s);
  for (const bad of ['0', '0.0', '0.001', '-1', '', 'abc', '1e2', 'Infinity', '0x1', '1/2', '50%']) {
    assert.is(
      failure(() => parseCpus(bad), 'INVALID_ARGUMENT'),
      `invalid --cpus ${JSON.stringify(bad)} (use a number of CPUs from 0.01 up, e.g. 0.5 or 2)`,
      bad,
    );
  }
});

test('parsePids: positive whole numbers', () => {
  assert.is(parsePids('100'), 100);
  assert.is(parsePids('1'), 1);
  for (const bad of ['0', '-1', '1.5', '', 'ten', '1e3', '99999999999999999999']) {
    assert.is(failure(() => parsePids(bad), 'INVALID_ARGUMENT'), `invalid --pids-limit ${JSON.stringify(bad)} (use a positive whole number, e.g. 100)`, bad);
  }
});

// --- layout detection ----------------------------------------------------------------------

/** Debian 12 / Fedora / Ubuntu 22.04+: unified hierarchy only. */
const PURE_V2 = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
27 23 0:24 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw
`;
const V2_CONTROLLERS = 'cpuset cpu io memory hugetlb pids rdma misc\n';

/** This machine's /proc/self/mountinfo: v1 controllers, and an empty cgroup2 at unified/. */
const HYBRID = `23 1 0:21 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

/** Ubuntu 18.04-style systemd hybrid: cpu and cpuacct share a hierarchy. */
const V1_CPUACCT = `25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
27 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
28 25 0:24 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpuset
29 25 0:25 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,net_cls,net_prio
30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
32 25 0:28 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
`;

/** A 4.x kernel without the pids controller, no cgroup2 at all (CentOS 7-like). */
const V1_NO_PIDS = `25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpuacct,cpu
31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
`;

const V1_HYBRID: CgroupLayout = {
  version: 1,
  controllers: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu', pids: '/sys/fs/cgroup/pids', devices: '/sys/fs/cgroup/devices' },
};
/** The same without the devices hierarchy. */
const V1_NO_DEVICES: CgroupLayout = {
  version: 1,
  controllers: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu', pids: '/sys/fs/cgroup/pids' },
};
const V2: CgroupLayout = { version: 2, root: '/sys/fs/cgroup', controllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'] };

test('detectLayoutFrom: pure v2', () => {
  assert.is(findCgroup2Mount(PURE_V2), '/sys/fs/cgroup');
  assert.equal(detectLayoutFrom(PURE_V2, V2_CONTROLLERS), V2);
});

test('detectLayoutFrom: hybrid host (this machine) uses v1, the empty cgroup2 is ignored', () => {
  assert.is(findCgroup2Mount(HYBRID), '/sys/fs/cgroup/unified');
  assert.equal(detectLayoutFrom(HYBRID, ''), V1_HYBRID);
  assert.equal(detectLayoutFrom(HYBRID, 'hugetlb\n'), V1_HYBRID);
  assert.equal(detectLayoutFrom(HYBRID, null), V1_HYBRID);
});

test('detectLayoutFrom: v1 with cpu,cpuacct combined (cpuset and cpuacct alone are not cpu)', () => {
  assert.equal(detectLayoutFrom(V1_CPUACCT, ''), {
    version: 1,
    controllers: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct', pids: '/sys/fs/cgroup/pids' },
  });
  assert.equal(detectLayoutFrom(V1_NO_PIDS, null), {
    version: 1,
    controllers: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct' },
  });
  assert.is(findCgroup2Mount(V1_NO_PIDS), null);
});

test('detectLayoutFrom: v2 with missing controllers still wins when no v1 hierarchy has them', () => {
  assert.equal(detectLayoutFrom(PURE_V2, 'cpuset io memory\n'), { version: 2, root: '/sys/fs/cgroup', controllers: ['cpuset', 'io', 'memory'] });
  assert.equal(detectLayoutFrom(PURE_V2, ''), { version: 2, root: '/sys/fs/cgroup', controllers: [] });
  // Nothing mounted at all.
  assert.equal(detectLayoutFrom('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n', null), { version: 1, controllers: {} });
  assert.equal(detectLayoutFrom('', null), { version: 1, controllers: {} });
});

test('detectLayoutFrom: v2 with all three controllers beats v1 mounts; over-mounted ones are hidden', () => {
  assert.equal(detectLayoutFrom(HYBRID, 'cpu memory pids'), { version: 2, root: '/sys/fs/cgroup/unified', controllers: ['cpu', 'memory', 'pids'] });
  // A cgroup2 mounted over /sys/fs/cgroup later hides the v1 mounts beneath it.
  const over = `${HYBRID}50 23 0:40 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n`;
  assert.is(findCgroup2Mount(over), '/sys/fs/cgroup');
  assert.equal(detectLayoutFrom(over, 'cpu io'), { version: 2, root: '/sys/fs/cgroup', controllers: ['cpu', 'io'] });
  // Standard places first, then mountinfo order; octal escapes in mount points are decoded.
  const odd = `60 1 0:50 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n61 1 0:51 / /mnt/pids rw - cgroup cgroup rw,pids\n${V1_NO_PIDS}`;
  assert.equal(detectLayoutFrom(odd, null), {
    version: 1,
    controllers: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct', pids: '/mnt/pids' },
  });
  assert.equal(detectLayoutFrom('60 1 0:50 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n', null), {
    version: 1,
    controllers: { memory: '/mnt/my cgroups' },
  });
});

// --- plans ---------------------------------------------------------------------------------

const ALL = { memory: 256 * MiB, cpus: 0.5, pids: 100 };
/** Docker's default device allow list (runc specconv.AllowedDevices), spelled out. */
const RULES = ['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 1:8 rwm', 'c 1:7 rwm', 'c 5:0 rwm', 'c 1:5 rwm', 'c 1:9 rwm', 'c 136:* rwm', 'c 5:2 rwm', 'c 10:200 rwm'];
const bpf = (cgroup: string) => ({ kind: 'bpf' as const, cgroup, rules: RULES });
/** The v1 writes that empty a devices cgroup and allow RULES. */
const deviceWrites = (dir: string) => [{ file: `${dir}/devices.deny`, value: 'a' }, ...RULES.map((value) => ({ file: `${dir}/devices.allow`, value }))];
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
  assert.equal(planCgroups(bare, 'x', {}), { dirs: [d], writes: [], procs: [`${d}/cgroup.procs`], enable: [], devices: bpf(d) });
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
    'the "cpu" cgroup controller is not available on this host (it is not listed in /sys/fs/cgroup/unified/cgroup.controllers; run without --cpus or enable it on the host)',
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
    procs: [`${m}/cgroup.procs`, `${c}/cgroup.procs`, `${p}/cgroup.procs`, `${dv}/cgroup.procs`],
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
    procs: [`${p}/cgroup.procs`, `${dv}/cgroup.procs`],
    enable: [],
    devices: { kind: 'v1', list: `${dv}/devices.list`, expect: RULES },
  });
  // "deny a" must come before every allow, or it would wipe them.
  const files = planCgroups(V1_HYBRID, 'x', ALL).writes.map((w) => w.file.split('/').pop());
  assert.is(files.indexOf('devices.deny'), files.indexOf('devices.allow') - 1);
  assert.is(files.lastIndexOf('devices.deny'), files.indexOf('devices.deny'));
  // Docker's --privileged allows every device: no devices cgroup, no filter.
  const priv = { kind: 'none', reason: 'privileged' };
  assert.equal(planCgroups(V1_HYBRID, 'x', {}, { allDevices: true }), { dirs: [p], writes: [], procs: [`${p}/cgroup.procs`], enable: [], devices: priv });
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
    for (const limits of [{}, all]) for (const allDevices of [false, true]) for (const d of planCgroups(layout, id, limits, { allDevices }).dirs) assert.ok(possible.includes(d), d);
  }
  assert.ok(cgroupDirsFor(V1_HYBRID, id).includes(`/sys/fs/cgroup/devices/conductor/${id}`));
  assert.equal(cgroupDirsFor(V2, id), [`/sys/fs/cgroup/conductor/${id}`]);
});

test('planCgroups: v1 creates only the hierarchies it needs, pids always', () => {
  const p = '/sys/fs/cgroup/pids/conductor/x';
  assert.equal(planCgroups(V1_NO_DEVICES, 'x', {}), { dirs: [p], writes: [], procs: [`${p}/cgroup.procs`], enable: [], devices: UNAVAILABLE });
  const c = '/sys/fs/cgroup/cpu/conductor/x';
  assert.equal(planCgroups(V1_NO_DEVICES, 'x', { cpus: 1.234567 }), {
    dirs: [c, p],
    writes: [
      { file: `${c}/cpu.cfs_period_us`, value: '100000' },
      { file: `${c}/cpu.cfs_quota_us`, value: '123457' },
    ],
    procs: [`${c}/cgroup.procs`, `${p}/cgroup.procs`],
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
  assert.equal(plan.procs, ['/cg/mp/conductor/x/cgroup.procs']);
});

test('planCgroups: v1 missing controllers', () => {
  const noPids = detectLayoutFrom(V1_NO_PIDS, null);
  assert.is(
    failure(() => planCgroups(noPids, 'x', { pids: 10 }), 'CGROUP_UNAVAILABLE'),
    'the "pids" cgroup controller is not available on this host (no cgroup v1 hierarchy with it is mounted; run without --pids-limit or enable it on the host)',
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
    failure(() => planCgroups(V2, id, {}), 'INVALID_ARGUMENT');
  }
  assert.is(failure(() => planCgroups(V2, 'x', { memory: 1000 }), 'INVALID_ARGUMENT'), 'invalid --memory "1000" (use a whole number of bytes from 6 MiB up)');
  failure(() => planCgroups(V2, 'x', { memory: 7.5 * MiB + 0.5 }), 'INVALID_ARGUMENT');
  failure(() => planCgroups(V1_HYBRID, 'x', { cpus: 0 }), 'INVALID_ARGUMENT');
  failure(() => planCgroups(V1_HYBRID, 'x', { cpus: NaN }), 'INVALID_ARGUMENT');
  failure(() => planCgroups(V1_HYBRID, 'x', { pids: 0 }), 'INVALID_ARGUMENT');
  failure(() => planCgroups(V1_HYBRID, 'x', { pids: 2.5 }), 'INVALID_ARGUMENT');
});

// --- reading back ----------------------------------------------------------------------------

test('limitsFromFiles: v2 and v1 files, unlimited values left out', () => {
  assert.equal(limitsFromFiles({ 'memory.max': '67108864\n', 'cpu.max': '50000 100000\n', 'pids.max': '32\n' }), {
    memory: 64 * MiB,
    cpus: 0.5,
    pids: 32,
  });
  assert.equal(limitsFromFiles({ 'memory.max': 'max\n', 'cpu.max': 'max 100000\n', 'pids.max': 'max\n' }), {});
  assert.equal(
    limitsFromFiles({ 'memory.limit_in_bytes': '67108864\n', 'cpu.cfs_quota_us': '150000\n', 'cpu.cfs_period_us': '100000\n', 'pids.max': '32\n' }),
    { memory: 64 * MiB, cpus: 1.5, pids: 32 },
  );
  assert.equal(
    limitsFromFiles({ 'memory.limit_in_bytes': '9223372036854771712\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_period_us': '100000\n' }),
    {},
  );
  assert.equal(limitsFromFiles({}), {});
});

test('parseOomKills: v1 memory.oom_control and v2 memory.events', () => {
  assert.is(parseOomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 3\n'), 3);
  assert.is(parseOomKills('low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n'), 1);
  assert.is(parseOomKills('oom_kill_disable 0\nunder_oom 0\n'), 0);
  assert.is(parseOomKills('oom_group_kill 4\n'), 0);
});

test('cgroupId: 12 hex, stable, different per root and per name', () => {
  const a = cgroupId('/var/lib/conductor', 'web');
  assert.match(a, /^[0-9a-f]{12}$/);
  assert.is(cgroupId('/var/lib/conductor', 'web'), a);
  assert.is.not(cgroupId('/tmp/conductor-test', 'web'), a);
  assert.is.not(cgroupId('/var/lib/conductor', 'web2'), a);
  // The separator keeps ("/a", "bc") and ("/ab", "c") apart.
  assert.is.not(cgroupId('/a', 'bc'), cgroupId('/ab', 'c'));
});

test('killCgroup / removeCgroups: refuse anything but <hierarchy>/conductor/<id>; missing ones are fine', async () => {
  for (const bad of ['/nonexistent', '/nonexistent/x', 'conductor/x', '/nonexistent/conductor/../x', '/nonexistent/conductor/x/', '/nonexistent/conductor//x']) {
    for (const fn of [killCgroup, removeCgroups]) {
      try {
        await fn([bad]);
        assert.unreachable(`${bad} accepted`);
      } catch (e) {
        assert.ok(isConductorError(e, 'INVALID_ARGUMENT'), `${bad}: ${String(e)}`);
      }
    }
  }
  const gone = ['/nonexistent/conductor/0123456789ab'];
  assert.ok(await killCgroup(gone));
  await removeCgroups(gone);
  assert.equal(cgroupPids(gone), []);
  assert.not.ok(oomKilled(gone));
  assert.equal(readLimits(gone), {});
});

test.run();
