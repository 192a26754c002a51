import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detectLayoutFrom, findCgroup2Mount } from '../../../sdk/limits/layout.ts';
import { HYBRID, PURE_V2, V1_CPUACCT, V1_HYBRID, V1_NO_PIDS, V2, V2_CONTROLLERS } from './fixtures.ts';

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
  assert.equal(detectLayoutFrom(PURE_V2, 'cpuset io memory\n'), {
    version: 2,
    root: '/sys/fs/cgroup',
    controllers: ['cpuset', 'io', 'memory'],
  });
  assert.equal(detectLayoutFrom(PURE_V2, ''), { version: 2, root: '/sys/fs/cgroup', controllers: [] });
  // Nothing mounted at all.
  assert.equal(detectLayoutFrom('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n', null), { version: 1, controllers: {} });
  assert.equal(detectLayoutFrom('', null), { version: 1, controllers: {} });
});

test('detectLayoutFrom: v2 with all three controllers beats v1 mounts; over-mounted ones are hidden', () => {
  assert.equal(detectLayoutFrom(HYBRID, 'cpu memory pids'), {
    version: 2,
    root: '/sys/fs/cgroup/unified',
    controllers: ['cpu', 'memory', 'pids'],
  });
  // A cgroup2 mounted over /sys/fs/cgroup later hides the v1 mounts beneath it.
  const over = `${HYBRID}50 23 0:40 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n`;
  assert.is(findCgroup2Mount(over), '/sys/fs/cgroup');
  assert.equal(detectLayoutFrom(over, 'cpu io'), { version: 2, root: '/sys/fs/cgroup', controllers: ['cpu', 'io'] });
  // Standard places first, then mountinfo order; octal escapes in mount points are decoded.
  const odd =
    `60 1 0:50 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n` +
    `61 1 0:51 / /mnt/pids rw - cgroup cgroup rw,pids\n${V1_NO_PIDS}`;
  assert.equal(detectLayoutFrom(odd, null), {
    version: 1,
    controllers: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct', pids: '/mnt/pids' },
  });
  assert.equal(detectLayoutFrom('60 1 0:50 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n', null), {
    version: 1,
    controllers: { memory: '/mnt/my cgroups' },
  });
});

test.run();
