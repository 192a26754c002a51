import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkSourceInContext } from '../../../sdk/image/copy-rules.ts';
import { isConductorError } from '../../../sdk/errors.ts';

function sourceError(source: string, line = 3): string {
  try {
    checkSourceInContext('/src/app', source, 'Conductorfile', line);
  } catch (e) {
    assert.ok(isConductorError(e, 'PARSE_ERROR'));
    return e.message;
  }
  return assert.unreachable(`expected ${source} to be rejected`) as never;
}

test('checkSourceInContext: normalises sources inside the context', () => {
  const cases: Array<[string, string]> = [
    ['a.txt', 'a.txt'],
    ['./lib//a.ts', 'lib/a.ts'],
    ['dir/', 'dir'],
    ['dir/sub/../x', 'dir/x'],
    ['.', '.'],
    ['./', '.'],
    ['a/..', '.'],
    ['src/**/*.ts', 'src/**/*.ts'],
    ['..foo', '..foo'],
    ['a/..b/c', 'a/..b/c'],
  ];
  for (const [source, expected] of cases) {
    assert.is(checkSourceInContext('/src/app', source, 'Conductorfile', 1), expected, source);
    assert.is(checkSourceInContext('.', source, 'Conductorfile', 1), expected, `${source} in "."`);
    assert.is(checkSourceInContext('/', source, 'Conductorfile', 1), expected, `${source} in "/"`);
  }
});

test('checkSourceInContext: rejects absolute and escaping sources with file and line', () => {
  assert.is(sourceError('../etc/passwd'), 'Conductorfile:3: COPY source "../etc/passwd" is outside the build context');
  for (const bad of ['..', '../', '/etc/passwd', '/', 'a/../..', 'a/../../b', './../x', 'a/b/../../../c']) {
    assert.is(
      sourceError(bad, 7),
      `Conductorfile:7: COPY source ${JSON.stringify(bad)} is outside the build context`,
      bad,
    );
  }
  // Resolving against a context at "/" must not clamp the escape away.
  assert.throws(
    () => checkSourceInContext('/', 'a/../../b', 'Conductorfile', 1),
    (e: unknown) => isConductorError(e, 'PARSE_ERROR'),
  );
  assert.is(sourceError(''), 'Conductorfile:3: COPY source must not be empty');
  try {
    checkSourceInContext('.', '../x', 'sub/Conductorfile.dev', 12);
  } catch (e) {
    assert.is((e as Error).message, 'sub/Conductorfile.dev:12: COPY source "../x" is outside the build context');
  }
});

test.run();
