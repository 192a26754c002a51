import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  chainSetupText,
  forwardGuardText,
  forwardingUsers,
  hasForwardGuard,
  publishedHostPorts,
} from '../../../sdk/network/chains.ts';
import { SAVE_EMPTY, SAVE_READY } from './iptables-save-fixtures.ts';
import { SET_RULES } from '../../../sdk/network/sets.ts';

test('chain setup: only what is missing, never redeclaring an existing chain', () => {
  assert.is(chainSetupText(SAVE_READY), null);
  assert.is(
    chainSetupText(SAVE_EMPTY),
    [
      '*raw',
      ':CONDUCTOR-PREROUTING - [0:0]',
      '-I PREROUTING 1 -j CONDUCTOR-PREROUTING',
      '-A CONDUCTOR-PREROUTING -i cnd+ -s 127.0.0.0/8 -m comment --comment conductor-loopback-guard -j DROP',
      '-A CONDUCTOR-PREROUTING -i cnd+ -d 127.0.0.0/8 -m comment --comment conductor-loopback-guard -j DROP',
      'COMMIT',
      '*nat',
      ':CONDUCTOR-PREROUTING - [0:0]',
      '-I PREROUTING 1 -j CONDUCTOR-PREROUTING',
      ':CONDUCTOR-OUTPUT - [0:0]',
      '-I OUTPUT 1 -j CONDUCTOR-OUTPUT',
      ':CONDUCTOR-POSTROUTING - [0:0]',
      '-I POSTROUTING 1 -j CONDUCTOR-POSTROUTING',
      'COMMIT',
      '*filter',
      ':CONDUCTOR-FORWARD - [0:0]',
      '-I FORWARD 1 -j CONDUCTOR-FORWARD',
      ':CONDUCTOR-INPUT - [0:0]',
      '-I INPUT 1 -j CONDUCTOR-INPUT',
      '-I CONDUCTOR-INPUT 1 -i cnd+ -m conntrack --ctstate RELATED,ESTABLISHED ' +
        '--ctdir REPLY -m comment --comment conductor-input-guard -j ACCEPT',
      '-A CONDUCTOR-INPUT -i cnd+ -m comment --comment conductor-input-guard -j DROP',
      // The set rules (sets.ts): ACCEPTs inserted at the top, the shared DROPs appended.
      ...SET_RULES.map((r) => (r.append ? `-A ${r.chain} ${r.spec}` : `-I ${r.chain} 1 ${r.spec}`)),
      'COMMIT',
      '',
    ].join('\n'),
  );
  // A chain that exists but lost its hook gets the hook only.
  const unhooked = SAVE_READY.replace('-A FORWARD -j CONDUCTOR-FORWARD\n', '');
  assert.is(chainSetupText(unhooked), '*filter\n-I FORWARD 1 -j CONDUCTOR-FORWARD\nCOMMIT\n');
  // A guard rule flushed away by someone else is put back.
  const unguarded = SAVE_READY.split('\n')
    .filter((l) => !l.includes('-d 127.0.0.0/8'))
    .join('\n');
  assert.is(
    chainSetupText(unguarded),
    '*raw\n-A CONDUCTOR-PREROUTING -i cnd+ -d 127.0.0.0/8 -m comment ' +
      '--comment conductor-loopback-guard -j DROP\nCOMMIT\n',
  );
  // The input guard's DROP, lost alone, goes back at the end, after any container's ACCEPTs.
  const undropped = SAVE_READY.split('\n')
    .filter((l) => !(l.includes('conductor-input-guard') && l.endsWith('DROP')))
    .join('\n');
  assert.is(
    chainSetupText(undropped),
    '*filter\n-A CONDUCTOR-INPUT -i cnd+ -m comment --comment conductor-input-guard -j DROP\nCOMMIT\n',
  );
  // A set rule lost alone goes back: an ACCEPT at the top, a DROP at the end.
  const [accept, drop] = [SET_RULES.find((r) => !r.append)!, SET_RULES.find((r) => r.append)!];
  for (const [r, line] of [
    [accept, `-I ${accept.chain} 1 ${accept.spec}`],
    [drop, `-A ${drop.chain} ${drop.spec}`],
  ] as const) {
    const lost = SAVE_READY.split('\n')
      .filter((l) => l !== `-A ${r.chain} ${r.spec}`)
      .join('\n');
    assert.is(chainSetupText(lost), `*filter\n${line}\nCOMMIT\n`);
  }
});

test('published ports and forwarding users are read from iptables-save', () => {
  assert.equal([...publishedHostPorts(SAVE_READY)], [3000]);
  assert.is(forwardingUsers(SAVE_READY, ['conductor:aa:web']), 1); // db's MASQUERADE
  assert.is(forwardingUsers(SAVE_READY, ['conductor:aa:db']), 1); // web's DNAT
  assert.is(forwardingUsers(SAVE_READY, ['conductor:bb:x']), 2);
  assert.is(forwardingUsers(SAVE_EMPTY, ['conductor:aa:web']), 0);
});

test('forward guard text and detection', () => {
  assert.is(
    forwardGuardText('add'),
    '*filter\n-A CONDUCTOR-FORWARD ! -i cnd+ ! -o cnd+ -m comment --comment conductor-forward-guard -j DROP\nCOMMIT\n',
  );
  assert.is(forwardGuardText('delete'), forwardGuardText('add').replace('-A ', '-D '));
  assert.not.ok(hasForwardGuard(SAVE_READY));
  assert.ok(
    hasForwardGuard(
      SAVE_READY.replace(
        '-A FORWARD -j CONDUCTOR-FORWARD',
        '-A FORWARD -j CONDUCTOR-FORWARD\n-A CONDUCTOR-FORWARD ! -i cnd+ ! -o cnd+ ' +
          '-m comment --comment conductor-forward-guard -j DROP',
      ),
    ),
  );
});

test.run();
