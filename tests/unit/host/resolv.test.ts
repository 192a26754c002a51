import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConductorError } from '../../../sdk/errors.ts';
import { deriveResolvConf, hostResolvConf } from '../../../sdk/host/resolv.ts';

const HEADER = "# written by conductor from the host's resolvers\n";
const STUB = 'nameserver 127.0.0.53\noptions edns0 trust-ad\n';
const UPSTREAM = 'nameserver 198.51.100.1\nnameserver 198.51.100.2\nsearch corp\n';

test('a plain host list is used, loopback and IPv6 resolvers dropped, search kept', () => {
  const r = deriveResolvConf(
    { etc: 'search lan\nnameserver 192.0.2.53\nnameserver ::1\nnameserver 127.0.0.1\n', systemd: null },
    {},
  );
  assert.is(r, HEADER + 'nameserver 192.0.2.53\nsearch lan\n');
});

test('the systemd-resolved stub is replaced by its upstream list', () => {
  assert.is(
    deriveResolvConf({ etc: STUB, systemd: UPSTREAM }, {}),
    HEADER + 'nameserver 198.51.100.1\nnameserver 198.51.100.2\nsearch corp\n',
  );
});

test('nothing usable → null (the caller says: set CONDUCTOR_DNS)', () => {
  assert.is(deriveResolvConf({ etc: STUB, systemd: null }, {}), null);
  assert.is(deriveResolvConf({ etc: null, systemd: null }, {}), null);
  assert.is(deriveResolvConf({ etc: 'nameserver 127.0.1.1\n', systemd: null }, {}), null);
});

test('CONDUCTOR_DNS overrides everything; a non-address is refused', () => {
  const r = deriveResolvConf(
    { etc: 'nameserver 192.0.2.53\n', systemd: null },
    { CONDUCTOR_DNS: '203.0.113.1, 203.0.113.2 ' },
  );
  assert.is(r, HEADER + 'nameserver 203.0.113.1\nnameserver 203.0.113.2\n');
  try {
    deriveResolvConf({ etc: '', systemd: null }, { CONDUCTOR_DNS: 'dns.example' });
    assert.unreachable('accepted a host name');
  } catch (e) {
    assert.ok(e instanceof ConductorError && e.code === 'INVALID_ARGUMENT', String(e));
  }
});

test('hostResolvConf honours CONDUCTOR_DNS from the given env', () => {
  assert.is(hostResolvConf({ CONDUCTOR_DNS: '192.0.2.1' }), HEADER + 'nameserver 192.0.2.1\n');
});

test.run();
