import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { allocateAddress, parsePool } from '../../../sdk/network/pool.ts';
import { failure } from '../../helpers/expect-error.ts';

test('allocateAddress skips network, gateway and used addresses, then exhausts', () => {
  const pool = parsePool('10.177.0.0/16');
  assert.is(pool.gateway, '10.177.0.1');
  assert.is(allocateAddress(pool, []), '10.177.0.2');
  assert.is(allocateAddress(pool, ['10.177.0.2', '10.177.0.4']), '10.177.0.3');
  const small = parsePool('10.9.9.0/29'); // .0 network, .1 gateway, .7 broadcast
  const all = ['10.9.9.2', '10.9.9.3', '10.9.9.4', '10.9.9.5'];
  assert.is(allocateAddress(small, all), '10.9.9.6');
  const msg = failure(() => allocateAddress(small, [...all, '10.9.9.6']), 'POOL_EXHAUSTED');
  assert.ok(msg.includes('10.9.9.0/29'));
  assert.is(parsePool('10.9.9.77/24').cidr, '10.9.9.0/24');
  for (const bad of ['10.0.0.0/31', '10.0.0.0/7', 'nope', '10.0.0.256/16', '10.0.0.0/33'])
    failure(() => parsePool(bad), 'INVALID_ARGUMENT');
});

test.run();
