import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { limitsFromFiles, parseOomKills } from '../../../sdk/limits/read-back.ts';

const MiB = 1024 * 1024;

test('limitsFromFiles: v2 and v1 files, unlimited values left out', () => {
  assert.equal(limitsFromFiles({ 'memory.max': '67108864\n', 'cpu.max': '50000 100000\n', 'pids.max': '32\n' }), {
    memory: 64 * MiB,
    cpus: 0.5,
    pids: 32,
  });
  assert.equal(limitsFromFiles({ 'memory.max': 'max\n', 'cpu.max': 'max 100000\n', 'pids.max': 'max\n' }), {});
  assert.equal(
    limitsFromFiles({
      'memory.limit_in_bytes': '67108864\n',
      'cpu.cfs_quota_us': '150000\n',
      'cpu.cfs_period_us': '100000\n',
      'pids.max': '32\n',
    }),
    { memory: 64 * MiB, cpus: 1.5, pids: 32 },
  );
  assert.equal(
    limitsFromFiles({
      'memory.limit_in_bytes': '9223372036854771712\n',
      'cpu.cfs_quota_us': '-1\n',
      'cpu.cfs_period_us': '100000\n',
    }),
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

test.run();
