import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sh } from '../../../sdk/host/sh.ts';
import { CommandError, isConductorError } from '../../../sdk/errors.ts';

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('resolved');
}

const shGuardAnEmpty =
  'sh guard: an empty argv, or undefined / null / an object / an array among the args, is refused before anything runs';
test(shGuardAnEmpty, async () => {
  const bad: unknown[][] = [
    [],
    ['echo', undefined],
    ['echo', 'ok', null],
    [undefined],
    ['echo', {}],
    ['echo', ['nested']],
    ['echo', true],
  ];
  for (const argv of bad) {
    const e = await rejects(sh(argv as string[]));
    assert.ok(isConductorError(e, 'INTERNAL'), `${JSON.stringify(argv)}: ${String(e)}`);
  }
  const e = (await rejects(sh(['touch', '/tmp/x', undefined as unknown as string]))) as Error;
  assert.is(e.message, 'argument 2 of "touch" is undefined');
});

test('sh: every argument reaches the tool as one word, shell syntax included; numbers are allowed', async () => {
  const args = ['a b', '$(id)', '`id`', "it's", '"q"', '*', ';', '', '-n', 42];
  const r = await sh(['printf', '%s\\0', ...args]);
  assert.equal(r.stdout.split('\0').slice(0, -1), args.map(String));
  assert.is(r.exitCode, 0);
});

test('sh: a failure is a CommandError with argv, exit code and stderr; nothrow returns it as data', async () => {
  const e = await rejects(sh(['sh', '-c', 'echo bad >&2; exit 3']));
  assert.instance(e, CommandError);
  const c = e as CommandError;
  assert.equal(c.argv, ['sh', '-c', 'echo bad >&2; exit 3']);
  assert.is(c.exitCode, 3);
  assert.is(c.message, `"sh -c 'echo bad >&2; exit 3'" failed with exit code 3: bad`);
  const r = await sh(['sh', '-c', 'exit 4'], { nothrow: true });
  assert.is(r.exitCode, 4);
});

test('sh: a killed tool reports 128 + its signal; a missing tool is MISSING_TOOL', async () => {
  const r = await sh(['sh', '-c', 'kill -USR1 $$'], { nothrow: true });
  assert.is(r.signal, 'SIGUSR1');
  assert.is(r.exitCode, 138);
  const e = await rejects(sh(['conductor-no-such-tool-x']));
  assert.ok(isConductorError(e, 'MISSING_TOOL'), String(e));
});

test.run();
