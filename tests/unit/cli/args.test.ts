import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs, UsageError, type OptionSpec } from '../../../scripts/cli/args.ts';

const RUN: OptionSpec[] = [
  { long: 'detach', short: 'd', help: '' },
  { long: 'interactive', short: 'i', help: '' },
  { long: 'tty', short: 't', help: '' },
  { long: 'env', short: 'e', value: true, repeat: true, help: '' },
  { long: 'workdir', short: 'w', value: true, help: '' },
];

test('options are accepted anywhere before --; everything after it is untouched', () => {
  const a = parseArgs(['-d', 'img', 'c', '--', 'sh', '-c', 'echo "$HOME" -d --env x', ''], RUN, 2);
  const b = parseArgs(['img', 'c', '-d', '--', 'sh', '-c', 'echo "$HOME" -d --env x', ''], RUN, 2);
  for (const p of [a, b]) {
    assert.equal(p.positionals, ['img', 'c']);
    assert.is(p.options.detach, true);
    assert.equal(p.rest, ['sh', '-c', 'echo "$HOME" -d --env x', '']);
  }
});

test('without --, the command starts at the commandAfter-th positional (exec c ls -la)', () => {
  const p = parseArgs(['-e', 'A=1', 'c', 'ls', '-la', '--env'], RUN, 1);
  assert.equal(p.positionals, ['c']);
  assert.equal(p.options.env, ['A=1']);
  assert.equal(p.rest, ['ls', '-la', '--env']);
});

test('bundled short flags, a value glued or separate, --long=value, repeats', () => {
  const p = parseArgs(['-it', '-eA=1', '-e', 'B=2', '--env=C=3', '--workdir', '/srv', 'x'], RUN);
  assert.is(p.options.interactive, true);
  assert.is(p.options.tty, true);
  assert.equal(p.options.env, ['A=1', 'B=2', 'C=3']);
  assert.is(p.options.workdir, '/srv');
  assert.equal(p.positionals, ['x']);
  assert.is(p.rest, null);
});

test('unknown options, missing values and values on flags are usage errors', () => {
  for (const argv of [['--nope'], ['-z'], ['--workdir'], ['-w'], ['--detach=yes'], ['--workdir', '--']]) {
    assert.throws(
      () => parseArgs(argv, RUN),
      (e: unknown) => e instanceof UsageError,
      argv.join(' '),
    );
  }
});

test('a negative number is a positional, not an option', () => {
  assert.equal(parseArgs(['-5'], RUN).positionals, ['-5']);
});

test.run();
