import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commentTag, containerRules, restoreText, restoreTextToArgvs } from '../../../sdk/network/firewall.ts';

test('restore text splits into single iptables commands for tolerant undo', () => {
  const rules = containerRules({
    tag: commentTag('r', 'c'),
    hostInterface: 'cnd00000000',
    ip: '10.1.0.2',
    gateway: '10.1.0.1',
    ports: [],
    internet: false,
    outInterfaces: [],
  });
  const argvs = restoreTextToArgvs(restoreText(rules, 'delete'));
  assert.is(argvs.length, rules.length);
  assert.equal(argvs[0], [
    'iptables',
    '-w',
    '-t',
    'filter',
    '-D',
    'CONDUCTOR-FORWARD',
    '-o',
    'cnd00000000',
    '-m',
    'conntrack',
    '--ctstate',
    'RELATED,ESTABLISHED',
    '--ctdir',
    'REPLY',
    '-m',
    'comment',
    '--comment',
    'conductor:r:c',
    '-j',
    'ACCEPT',
  ]);
  assert.ok(
    rules.every((r) => r.table === 'filter'),
    'no nat rules without ports or internet; the loopback guard is shared',
  );
});

test.run();
