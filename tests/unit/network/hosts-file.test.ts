import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addHostsLine, removeHostsLine } from '../../../sdk/network/hosts-file.ts';

test('hosts lines: appended once, removed exactly', () => {
  const h0 = '127.0.0.1 localhost\n10.177.0.2 web';
  const h1 = addHostsLine(h0, '10.177.0.3', 'db');
  assert.is(h1, '127.0.0.1 localhost\n10.177.0.2 web\n10.177.0.3 db\n');
  assert.is(addHostsLine(h1, '10.177.0.3', 'db'), h1);
  assert.is(removeHostsLine(h1, '10.177.0.3', 'db'), '127.0.0.1 localhost\n10.177.0.2 web\n');
  assert.is(removeHostsLine(h1, '10.177.0.3', 'd'), h1);
});

test.run();
