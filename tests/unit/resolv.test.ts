import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseNameservers, hostResolvConf, nameserversOf, renderResolvConf } from '../../sdk/resolv.ts';

const STUB_CONF = '# managed by systemd-resolved\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch corp.example\n';
const UPSTREAM = '# upstream\nnameserver 10.0.0.2\nnameserver 2001:db8::53\nsearch corp.example\n';

test('nameserversOf reads nameserver lines only, in order', () => {
  assert.equal(nameserversOf('  nameserver 1.1.1.1\n#nameserver 9.9.9.9\nsearch x\nnameserver\t8.8.4.4 # c\n'), ['1.1.1.1', '8.8.4.4']);
  assert.equal(nameserversOf(''), []);
});

test('a plain host list is used as is', () => {
  assert.equal(chooseNameservers('nameserver 192.168.1.1\nnameserver 192.168.1.2\n', null), ['192.168.1.1', '192.168.1.2']);
});

test('the systemd-resolved stub is replaced by the upstream list', () => {
  assert.equal(chooseNameservers(STUB_CONF, UPSTREAM), ['10.0.0.2', '2001:db8::53']);
});

test('a stub without a readable upstream list yields no loopback resolver', () => {
  assert.equal(chooseNameservers(STUB_CONF, null), []);
});

test('loopback resolvers are dropped, others kept', () => {
  assert.equal(chooseNameservers('nameserver 127.0.0.1\nnameserver ::1\nnameserver 10.1.1.1\n', null), ['10.1.1.1']);
  assert.equal(chooseNameservers('nameserver 127.0.1.1\n', null), []);
});

test('CONDUCTOR_DNS overrides everything, comma-separated, trimmed', () => {
  assert.equal(chooseNameservers(STUB_CONF, UPSTREAM, '1.1.1.1, 9.9.9.9 ,'), ['1.1.1.1', '9.9.9.9']);
  assert.equal(chooseNameservers('nameserver 10.0.0.9\n', null, '192.0.2.53'), ['192.0.2.53']);
});

test('renderResolvConf keeps the search line and lists nameservers', () => {
  assert.is(renderResolvConf(['10.0.0.2', '10.0.0.3'], STUB_CONF), 'search corp.example\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n');
  assert.is(renderResolvConf(['10.0.0.2']), 'nameserver 10.0.0.2\n');
});

test('hostResolvConf honours CONDUCTOR_DNS from the given env', () => {
  const text = hostResolvConf({ CONDUCTOR_DNS: '192.0.2.1,192.0.2.2' });
  assert.equal(nameserversOf(text), ['192.0.2.1', '192.0.2.2']);
  assert.not.match(text, /127\.0\.0\.53/);
});

test.run();
