import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_DEVICE_RULES, deviceRuleString, parseDevicesList } from '../../../sdk/limits/device-rules.ts';
import { attachDeviceFilter } from '../../../sdk/limits/device-filter.ts';
import { failure } from '../../helpers/expect-error.ts';

test('deviceRuleString: the syntax of devices.allow and devices.list', () => {
  assert.is(deviceRuleString({ type: 'c', major: 1, minor: 3, access: 'rwm' }), 'c 1:3 rwm');
  assert.is(deviceRuleString({ type: 'b', major: '*', minor: '*', access: 'm' }), 'b *:* m');
  assert.is(deviceRuleString({ type: 'c', major: 136, minor: '*', access: 'rwm' }), 'c 136:* rwm');
});

test('DEFAULT_DEVICE_RULES: opens only what a container needs; never the host console or a block device', () => {
  const open = DEFAULT_DEVICE_RULES.filter((r) => /[rw]/.test(r.access));
  assert.ok(
    open.every((r) => r.type === 'c' && r.major !== '*'),
    'no wildcard major and no block device is ever readable or writable',
  );
  assert.not.ok(
    open.some((r) => r.major === 5 && r.minor === 1),
    'no /dev/console (runc dropped it)',
  );
  assert.ok(
    open.some((r) => r.major === 136 && r.minor === '*'),
    'the pty slaves',
  );
  for (const r of DEFAULT_DEVICE_RULES) assert.match(r.access, /^r?w?m?$/);
});

test('parseDevicesList: one rule a line, in order', () => {
  assert.equal(parseDevicesList('c *:* m\nb *:* m\nc 1:3 rwm\n'), ['c *:* m', 'b *:* m', 'c 1:3 rwm']);
  assert.equal(parseDevicesList(''), []);
});

test('attachDeviceFilter: a missing helper is MISSING_TOOL, and says how to build it', () => {
  const msg = failure(
    () => attachDeviceFilter('/sys/fs/cgroup/conductor/x', ['c 1:3 rwm'], '/nonexistent/conductor-devices'),
    'MISSING_TOOL',
  );
  assert.is(
    msg,
    'the helper "/nonexistent/conductor-devices" is not built (run `npm ci` ' +
      '(or `make -C native`; needs gcc and libc6-dev))',
  );
});

test.run();
