import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cgroupPids, killCgroup, removeCgroups } from '../../../sdk/limits/cgroup-teardown.ts';
import { oomKilled, readLimits } from '../../../sdk/limits/cgroup-read.ts';
import { isConductorError } from '../../../sdk/errors.ts';

test('killCgroup / removeCgroups: refuse anything but <hierarchy>/conductor/<id>; missing ones are fine', async () => {
  for (const bad of [
    '/nonexistent',
    '/nonexistent/x',
    'conductor/x',
    '/nonexistent/conductor/../x',
    '/nonexistent/conductor/x/',
    '/nonexistent/conductor//x',
  ]) {
    for (const fn of [killCgroup, removeCgroups]) {
      try {
        await fn([bad]);
        assert.unreachable(`${bad} accepted`);
      } catch (e) {
        assert.ok(isConductorError(e, 'INTERNAL'), `${bad}: ${String(e)}`);
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
