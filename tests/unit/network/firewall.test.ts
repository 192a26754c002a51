import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commentTag, containerRules, restoreText, restoreTextToArgvs } from '../../../sdk/network/firewall.ts';

test('restore text splits into single iptables commands for tolerant undo; only NAT rules are left', () => {
  const rules = containerRules({
    tag: commentTag('r', 'c'),
    hostInterface: 'cnd00000000',
    ip: '10.1.0.2',
    gateway: '10.1.0.1',
    ports: [{ container: 8080, host: 3000 }],
    internet: true,
    outInterfaces: ['eth0'],
  });
  const argvs = restoreTextToArgvs(restoreText(rules, 'delete'));
  assert.is(argvs.length, rules.length);
  assert.equal(argvs.at(-1), [
    'iptables',
    '-w',
    '-t',
    'nat',
    '-D',
    'CONDUCTOR-POSTROUTING',
    '-s',
    '10.1.0.2/32',
    '-o',
    'eth0',
    '-m',
    'comment',
    '--comment',
    'conductor:r:c',
    '-j',
    'MASQUERADE',
  ]);
  assert.ok(
    rules.every((r) => r.table === 'nat'),
    'filtering is set elements (sets.ts); the loopback guard is shared',
  );
  const none = containerRules({
    ...{ tag: 'conductor:r:c', hostInterface: 'cnd0', ip: '10.1.0.2', gateway: '10.1.0.1' },
    ports: [],
    internet: false,
    outInterfaces: [],
  });
  assert.equal(none, []);
});

test.run();
