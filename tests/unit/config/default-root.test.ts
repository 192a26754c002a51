import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultStateRoot } from '../../../sdk/config.ts';

test('a checkout keeps its own directory as the state root', () => {
  assert.is(defaultStateRoot('/home/me/conductor', {}, 0), '/home/me/conductor');
  assert.is(defaultStateRoot('/work/wt/x', { HOME: '/root' }, 1000), '/work/wt/x');
});

test('installed (under node_modules, locally or globally): /var/lib/conductor for root', () => {
  assert.is(defaultStateRoot('/app/node_modules/conductor', {}, 0), '/var/lib/conductor');
  assert.is(defaultStateRoot('/usr/lib/node_modules/conductor', {}, 0), '/var/lib/conductor');
});

test('installed, not root: the XDG data directory', () => {
  assert.is(
    defaultStateRoot('/app/node_modules/conductor', { HOME: '/home/me' }, 1000),
    '/home/me/.local/share/conductor',
  );
  assert.is(
    defaultStateRoot('/app/node_modules/conductor', { HOME: '/home/me', XDG_DATA_HOME: '/data' }, 1000),
    '/data/conductor',
  );
});

test.run();
