import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cgroupId } from '../../../sdk/limits/cgroupfs.ts';

test('cgroupId: 12 hex, stable, different per root and per name', () => {
  const a = cgroupId('/var/lib/conductor', 'web');
  assert.match(a, /^[0-9a-f]{12}$/);
  assert.is(cgroupId('/var/lib/conductor', 'web'), a);
  assert.is.not(cgroupId('/tmp/conductor-test', 'web'), a);
  assert.is.not(cgroupId('/var/lib/conductor', 'web2'), a);
  // The separator keeps ("/a", "bc") and ("/ab", "c") apart.
  assert.is.not(cgroupId('/a', 'bc'), cgroupId('/ab', 'c'));
});

test.run();
