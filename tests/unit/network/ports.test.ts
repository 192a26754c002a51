import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listeningTcpPorts, parseExposeSpec, validateHostPorts, validatePorts } from '../../../sdk/network/ports.ts';
import { failure } from '../../helpers/expect-error.ts';

// --- expose specs -----------------------------------------------------------------------------

test('parseExposeSpec: container port, then host port', () => {
  assert.equal(parseExposeSpec('8080-3000'), { container: 8080, host: 3000 });
  assert.equal(parseExposeSpec('1-65535'), { container: 1, host: 65535 });
});

test('parseExposeSpec rejects malformed specs', () => {
  for (const bad of [
    '80',
    'abc-def',
    '0-8080',
    '80-70000',
    '80-8080-9090',
    '',
    '-80',
    '80-',
    '8080 -3000',
    '1e3-80',
    '+80-90',
    '123456-80',
  ]) {
    const msg = failure(() => parseExposeSpec(bad), 'INVALID_ARGUMENT');
    assert.ok(msg.includes(JSON.stringify(bad)), msg);
  }
});

test('validatePorts: range-checks data and refuses a host port twice', () => {
  assert.equal(validatePorts([{ container: 80, host: 8080 }]), [{ container: 80, host: 8080 }]);
  failure(() => validatePorts([{ container: 80, host: 0 }]), 'INVALID_ARGUMENT');
  failure(() => validatePorts([{ container: 80.5, host: 81 }]), 'INVALID_ARGUMENT');
  failure(
    () =>
      validatePorts([
        { container: 80, host: 9000 },
        { container: 81, host: 9000 },
      ]),
    'INVALID_ARGUMENT',
  );
});

test('listeningTcpPorts reads LISTEN sockets of /proc/net/tcp and tcp6', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 0200000A:1F90 0100000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
  ].join('\n');
  const tcp6 = '   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 3 1';
  assert.equal([...listeningTcpPorts(`${tcp}\n${tcp6}`)].sort(), [3306, 8081]);
});

test('validateHostPorts: numbers or digit strings 1-65535, duplicates collapse, one-line error', () => {
  assert.equal(validateHostPorts(['5432', 6379, 5432]), [5432, 6379]);
  for (const bad of ['0', '65536', 'http', '80/tcp', '', '1e3', -1, 80.5]) {
    const msg = failure(() => validateHostPorts([bad]), 'INVALID_ARGUMENT');
    assert.ok(msg.includes(JSON.stringify(String(bad))), msg);
  }
});

test.run();
