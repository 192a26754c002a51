import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSince } from '../../../sdk/logs/since.ts';
import { isConductorError } from '../../../sdk/errors.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');

test('durations count back from now', () => {
  assert.is(parseSince('10s', NOW), NOW - 10_000);
  assert.is(parseSince('5m', NOW), NOW - 300_000);
  assert.is(parseSince('1h30m', NOW), NOW - 5_400_000);
  assert.is(parseSince('250ms', NOW), NOW - 250);
  assert.is(parseSince('1.5s', NOW), NOW - 1500);
});

test('RFC 3339 times, Dates and epoch ms are absolute', () => {
  assert.is(parseSince('2025-06-01T11:00:00Z', NOW), Date.parse('2025-06-01T11:00:00Z'));
  assert.is(parseSince('2025-06-01T13:00:00.5+02:00', NOW), Date.parse('2025-06-01T11:00:00.500Z'));
  assert.is(parseSince('2025-06-01 11:00:00Z', NOW), Date.parse('2025-06-01T11:00:00Z'));
  assert.is(parseSince(new Date(5000), NOW), 5000);
  assert.is(parseSince(1234, NOW), 1234);
});

test('anything else is INVALID_ARGUMENT naming the value', () => {
  for (const v of ['', 'yesterday', '10', '10d', '-5s', '2025-06-01', '2025-06-01T11:00:00', 's10', '1h 30m']) {
    try {
      parseSince(v, NOW);
      assert.unreachable(v);
    } catch (e) {
      assert.ok(isConductorError(e, 'INVALID_ARGUMENT'), v);
      assert.ok((e as Error).message.includes(`"${v}"`), (e as Error).message);
    }
  }
  assert.throws(() => parseSince(new Date('nope'), NOW));
  assert.throws(() => parseSince(Number.NaN, NOW));
});

test.run();
