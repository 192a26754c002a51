import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostInterfaceName, rootIdOf } from '../../../sdk/network/interfaces.ts';

const ROOT = '/srv/conductor';
const RID = rootIdOf(ROOT);

test('interface names fit IFNAMSIZ and differ per name and per root', () => {
  const long = 'a'.repeat(63);
  const names = [
    hostInterfaceName(ROOT, long),
    hostInterfaceName(ROOT, long.slice(0, 62) + 'b'),
    hostInterfaceName('/other/root', long),
    hostInterfaceName(ROOT, 'web'),
  ];
  for (const n of names) {
    assert.ok(n.length <= 15, n);
    assert.match(n, /^cnd[0-9a-f]{8}$/);
  }
  assert.is(new Set(names).size, names.length);
  assert.is(hostInterfaceName(ROOT, 'web'), hostInterfaceName(ROOT, 'web'));
  assert.is.not(rootIdOf('/a'), rootIdOf('/b'));
  assert.match(RID, /^[0-9a-f]{8}$/);
});

test.run();
