import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCpus, parseMemory, parsePids } from '../../../sdk/limits/parse.ts';
import { failure } from '../../helpers/expect-error.ts';

const MiB = 1024 * 1024;

test('parseMemory: docker-style sizes', () => {
  const cases: Array<[string, number]> = [
    ['256m', 256 * MiB],
    ['64M', 64 * MiB],
    ['1g', 1024 * MiB],
    ['1G', 1024 * MiB],
    ['6m', 6 * MiB],
    ['8192k', 8 * MiB],
    ['512000K', 512000 * 1024],
    ['1048576000', 1048576000],
    ['10485760b', 10 * MiB],
    ['10485760B', 10 * MiB],
    ['1.5g', 1536 * MiB],
    ['256mb', 256 * MiB],
    ['256MiB', 256 * MiB],
    [' 128m ', 128 * MiB],
  ];
  for (const [s, n] of cases) assert.is(parseMemory(s), n, s);
});

test('parseMemory: rejects junk and tiny values with one clear line', () => {
  assert.is(
    failure(() => parseMemory('abc'), 'INVALID_ARGUMENT'),
    'invalid --memory "abc" (use e.g. 256m or 1g)',
  );
  for (const bad of ['', 'm', '-1m', '1x', '1t', '256 mm', '0x10', '1e9', '12,5m', 'NaN', '1..5g']) {
    assert.is(
      failure(() => parseMemory(bad), 'INVALID_ARGUMENT'),
      `invalid --memory ${JSON.stringify(bad)} (use e.g. 256m or 1g)`,
      bad,
    );
  }
  assert.is(
    failure(() => parseMemory('512k'), 'INVALID_ARGUMENT'),
    'invalid --memory "512k" (the minimum is 6m)',
  );
  assert.is(
    failure(() => parseMemory('1048576'), 'INVALID_ARGUMENT'),
    'invalid --memory "1048576" (the minimum is 6m)',
  );
  assert.is(
    failure(() => parseMemory('0'), 'INVALID_ARGUMENT'),
    'invalid --memory "0" (the minimum is 6m)',
  );
  assert.ok(
    failure(() => parseMemory('99999999999999g'), 'INVALID_ARGUMENT').startsWith('invalid --memory "99999999999999g"'),
  );
});

test('parseCpus: positive decimals from 0.01', () => {
  const cases: Array<[string, number]> = [
    ['0.5', 0.5],
    ['2', 2],
    ['1.25', 1.25],
    ['.5', 0.5],
    ['3.', 3],
    ['0.01', 0.01],
  ];
  for (const [s, n] of cases) assert.is(parseCpus(s), n, s);
  for (const bad of ['0', '0.0', '0.001', '-1', '', 'abc', '1e2', 'Infinity', '0x1', '1/2', '50%']) {
    assert.is(
      failure(() => parseCpus(bad), 'INVALID_ARGUMENT'),
      `invalid --cpus ${JSON.stringify(bad)} (use a number of CPUs from 0.01 up, e.g. 0.5 or 2)`,
      bad,
    );
  }
});

test('parsePids: positive whole numbers', () => {
  assert.is(parsePids('100'), 100);
  assert.is(parsePids('1'), 1);
  for (const bad of ['0', '-1', '1.5', '', 'ten', '1e3', '99999999999999999999']) {
    assert.is(
      failure(() => parsePids(bad), 'INVALID_ARGUMENT'),
      `invalid --pids-limit ${JSON.stringify(bad)} (use a positive whole number, e.g. 100)`,
      bad,
    );
  }
});

test.run();
