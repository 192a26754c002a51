import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, validateMounts } from '../../../sdk/volume/mount-spec.ts';
import { forbiddenSource } from '../../../sdk/volume/resolve-mounts.ts';
import { mountArgs } from '../../../sdk/launch/mount-plan.ts';
import { isConductorError, type ErrorCode } from '../../../sdk/errors.ts';

function throwsCode(fn: () => unknown, code: ErrorCode, re?: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.ok(isConductorError(e, code), `expected ${code}, got ${String(e)}`);
    if (re) assert.match((e as Error).message, re);
    assert.not.match((e as Error).message, /\n/);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('-v: host paths are binds, names are volumes, :ro/:rw', () => {
  assert.equal(parseVolumeFlag('/srv/site:/var/www'), {
    type: 'bind',
    source: '/srv/site',
    target: '/var/www',
    readonly: false,
  });
  assert.equal(parseVolumeFlag('/srv/site/:/var/www/:ro'), {
    type: 'bind',
    source: '/srv/site',
    target: '/var/www',
    readonly: true,
  });
  assert.equal(parseVolumeFlag('data:/var/lib/app:rw'), {
    type: 'volume',
    source: 'data',
    target: '/var/lib/app',
    readonly: false,
  });
  assert.equal(parseVolumeFlag('data:/x:ro,noexec'), {
    type: 'volume',
    source: 'data',
    target: '/x',
    readonly: true,
    options: ['noexec'],
  });
});

test('-v: bad specs are refused with one line naming them', () => {
  throwsCode(() => parseVolumeFlag('/only'), 'INVALID_ARGUMENT', /"\/only"/);
  throwsCode(() => parseVolumeFlag('a:b:c:d'), 'INVALID_ARGUMENT');
  throwsCode(() => parseVolumeFlag('/a:/b:rx'), 'INVALID_ARGUMENT', /"rx"/);
  throwsCode(() => parseVolumeFlag('./data:/x'), 'INVALID_ARGUMENT', /relative host path/);
  throwsCode(() => parseVolumeFlag('data/x:/x'), 'INVALID_ARGUMENT', /relative host path/);
  throwsCode(() => parseVolumeFlag('b@d:/x'), 'INVALID_NAME', /"b@d"/);
  throwsCode(() => parseVolumeFlag('-rf:/x'), 'INVALID_NAME');
});

test('targets: absolute, no "..", never /, /proc, /sys, /dev or below', () => {
  for (const t of ['/', '//', '/proc', '/proc/sys', '/sys', '/sys/fs/cgroup', '/dev', '/dev/shm', '/proc/']) {
    throwsCode(() => parseVolumeFlag(`/src:${t}`), 'INVALID_ARGUMENT', /refused/);
  }
  throwsCode(() => parseVolumeFlag('/src:relative'), 'INVALID_ARGUMENT', /absolute/);
  throwsCode(() => parseVolumeFlag('/src:/a/../proc'), 'INVALID_ARGUMENT', /\.\./);
  assert.is(parseVolumeFlag('/src:/devices').target, '/devices');
  assert.is(parseVolumeFlag('/src:/a//b/./c/').target, '/a/b/c');
});

test('--mount: Docker keys, readonly forms, unknown fields refused', () => {
  assert.equal(parseMountFlag('type=bind,source=/s,target=/t,readonly'), {
    type: 'bind',
    source: '/s',
    target: '/t',
    readonly: true,
  });
  assert.equal(parseMountFlag('type=volume,src=v1,dst=/t,ro=false,volume-nocopy'), {
    type: 'volume',
    source: 'v1',
    target: '/t',
    readonly: false,
    options: ['nocopy'],
  });
  assert.equal(parseMountFlag('type=tmpfs,destination=/run,tmpfs-size=8m,tmpfs-mode=1777'), {
    type: 'tmpfs',
    target: '/run',
    readonly: false,
    options: ['size=8m', 'mode=1777'],
  });
  throwsCode(() => parseMountFlag('type=nfs,target=/t'), 'INVALID_ARGUMENT', /type/);
  throwsCode(() => parseMountFlag('type=bind,source=/s'), 'INVALID_ARGUMENT', /target/);
  throwsCode(
    () => parseMountFlag('type=bind,source=/s,target=/t,bind-propagation=shared'),
    'INVALID_ARGUMENT',
    /unknown field/,
  );
  throwsCode(() => parseMountFlag('type=bind,source=rel,target=/t'), 'INVALID_ARGUMENT', /absolute/);
  throwsCode(() => parseMountFlag('type=tmpfs,source=/x,target=/t'), 'INVALID_ARGUMENT', /no source/);
});

test('--tmpfs: a default size, only known options reach the kernel', () => {
  assert.equal(parseTmpfsFlag('/tmp'), { type: 'tmpfs', target: '/tmp', readonly: false, options: ['size=64m'] });
  assert.equal(parseTmpfsFlag('/run:size=8m,mode=755,noexec'), {
    type: 'tmpfs',
    target: '/run',
    readonly: false,
    options: ['size=8m', 'mode=755', 'noexec'],
  });
  for (const bad of ['/t:size=1x', '/t:mode=999', '/t:uid=0', '/t:size=1m,huge=always', '/t:nosuid=0'])
    throwsCode(() => parseTmpfsFlag(bad), 'INVALID_ARGUMENT');
});

test('duplicate targets are refused', () => {
  throwsCode(() => validateMounts([parseVolumeFlag('/a:/x'), parseTmpfsFlag('/x/')]), 'INVALID_ARGUMENT', /duplicate/);
});

test('bind sources: never /, the state root, the package, or a parent of them', () => {
  const guard = ['/var/lib/conductor', '/opt/conductor'];
  assert.is(forbiddenSource('/srv/data', guard), null);
  assert.is(forbiddenSource('/var/lib/conductorx', guard), null);
  assert.ok(forbiddenSource('/', guard));
  assert.ok(forbiddenSource('/var/lib/conductor', guard));
  assert.ok(forbiddenSource('/var/lib/conductor/.volumes/x/_data', guard));
  assert.ok(forbiddenSource('/var/lib', guard));
  assert.ok(forbiddenSource('/opt/conductor/native', guard));
});

test('helper argv: kinds, flags, copy-up only for volumes without nocopy', () => {
  const argv = mountArgs(
    [
      { mount: parseVolumeFlag('/s:/b:ro'), hostPath: '/s' },
      { mount: parseVolumeFlag('v:/v'), hostPath: '/root/.volumes/v/_data' },
      {
        mount: parseMountFlag('type=volume,source=w,target=/w,volume-nocopy,noexec'),
        hostPath: '/root/.volumes/w/_data',
      },
      { mount: parseTmpfsFlag('/t:mode=1777,noexec') },
    ],
    true,
  );
  assert.equal(argv, [
    '--mount',
    'bind',
    '/s',
    '/b',
    'ro',
    '--mount',
    'bind',
    '/root/.volumes/v/_data',
    '/v',
    'rw,copyup',
    '--mount',
    'bind',
    '/root/.volumes/w/_data',
    '/w',
    'rw,noexec',
    '--mount',
    'tmpfs',
    'size=64m,mode=1777',
    '/t',
    'rw,noexec',
    '--read-only',
  ]);
  assert.equal(mountArgs([], false), []);
});

test.run();
