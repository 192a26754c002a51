import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ago, bytes, humanDuration, statusCell, table } from '../../../scripts/cli/format.ts';

test('table: columns padded to the widest cell, three spaces apart, the last column unpadded', () => {
  assert.is(
    table(
      ['NAME', 'STATUS', 'PID'],
      [
        ['web', 'running', '4121'],
        ['database', 'exited (0)', '-'],
      ],
    ),
    'NAME       STATUS       PID\nweb        running      4121\ndatabase   exited (0)   -\n',
  );
});

test('table: no rows is the header alone; short rows and trailing blanks are trimmed', () => {
  assert.is(table(['NAME', 'IMAGE'], []), 'NAME   IMAGE\n');
  assert.is(table(['A', 'B', 'C'], [['x', '', '']]), 'A   B   C\nx\n');
});

test('ago: seconds, minutes, hours, days, rounded; the future is "0 seconds ago"', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  const at = (ms: number) => new Date(now - ms).toISOString();
  assert.is(ago(at(0), now), '0 seconds ago');
  assert.is(ago(at(59_000), now), '59 seconds ago');
  assert.is(ago(at(60_000), now), '1 minutes ago');
  assert.is(ago(at(90 * 60_000), now), '2 hours ago');
  assert.is(ago(at(3 * 86_400_000), now), '3 days ago');
  assert.is(ago(at(-5000), now), '0 seconds ago');
});

test('bytes: decimal units, like docker images', () => {
  assert.is(bytes(0), '0B');
  assert.is(bytes(999), '999B');
  assert.is(bytes(1000), '1.00kB');
  assert.is(bytes(12_345), '12.3kB');
  assert.is(bytes(5_600_000), '5.60MB');
  assert.is(bytes(2.5e9), '2.50GB');
  assert.is(bytes(4.2e12), '4200.0GB');
});

test("humanDuration: Docker's units.HumanDuration", () => {
  const cases: Array<[number, string]> = [
    [500, 'Less than a second'],
    [1000, '1 second'],
    [59_999, '59 seconds'],
    [60_000, 'About a minute'],
    [150_000, '2 minutes'],
    [3_600_000, 'About an hour'],
    [5 * 3_600_000, '5 hours'],
    [3 * 86_400_000, '3 days'],
    [21 * 86_400_000, '3 weeks'],
    [90 * 86_400_000, '3 months'],
    [800 * 86_400_000, '2 years'],
  ];
  for (const [ms, text] of cases) assert.is(humanDuration(ms), text, String(ms));
});

test('statusCell: a running container as Docker shows it, with its health; others as before', () => {
  const now = Date.parse('2024-01-01T00:01:00Z');
  const up = { status: 'running' as const, exitCode: null, startedAt: '2024-01-01T00:00:55Z' };
  assert.is(statusCell(up, now), 'Up 5 seconds');
  assert.is(statusCell({ ...up, health: 'healthy' }, now), 'Up 5 seconds (healthy)');
  assert.is(statusCell({ ...up, health: 'starting' }, now), 'Up 5 seconds (health: starting)');
  assert.is(statusCell({ ...up, health: 'unhealthy' }, now), 'Up 5 seconds (unhealthy)');
  assert.is(statusCell({ status: 'running', exitCode: null }, now), 'running', 'no start time known');
  assert.is(statusCell({ status: 'exited', exitCode: 3 }, now), 'exited (3)');
  assert.is(statusCell({ status: 'created', exitCode: null }, now), 'created');
});

test.run();
