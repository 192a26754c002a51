import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isValidName, validateName } from '../../sdk/names.ts';
import { isConductorError } from '../../sdk/errors.ts';

const VALID = ['a', 'web', 'Web-2', 'my_app.v1', '0start', 'a..b', 'x'.repeat(63)];
const INVALID: unknown[] = [
  '',
  '.',
  '..',
  '.hidden',
  '-rf',
  '_x',
  'a/b',
  '../etc',
  'a b',
  'tab\tname',
  'new\nline',
  'x'.repeat(64),
  'café',
  'semi;colon',
  '$(id)',
  'a,b',
  'a:b',
  undefined,
  null,
  42,
  {},
];

test('valid names pass through unchanged', () => {
  for (const n of VALID) {
    assert.is(validateName('image', n), n);
    assert.ok(isValidName(n), n);
  }
});

test('invalid names throw INVALID_NAME naming the kind and the value', () => {
  for (const n of INVALID) {
    try {
      validateName('container', n);
      assert.unreachable(`accepted ${JSON.stringify(n)}`);
    } catch (e) {
      assert.ok(isConductorError(e, 'INVALID_NAME'), `${String(n)}: ${String(e)}`);
      assert.match(e.message, /^invalid container name /);
      if (typeof n === 'string') assert.ok(e.message.includes(JSON.stringify(n)), e.message);
      assert.ok(e.hint && e.hint.includes('[a-zA-Z0-9_.-]'));
    }
    if (typeof n === 'string') assert.not.ok(isValidName(n), n);
  }
});

test('the kind appears in the message', () => {
  assert.throws(() => validateName('image', 'a/b'), /invalid image name "a\/b"/);
});

test.run();
