import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomHex } from '../../../sdk/host/random.ts';

test('randomHex: 2 hex digits a byte, fresh on every call', () => {
  assert.match(randomHex(4), /^[0-9a-f]{8}$/);
  assert.match(randomHex(16), /^[0-9a-f]{32}$/);
  const seen = new Set(Array.from({ length: 50 }, () => randomHex(8)));
  assert.is(seen.size, 50);
});

test.run();
