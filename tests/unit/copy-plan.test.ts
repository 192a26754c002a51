import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkSourceInContext, secureJoin, MAX_SYMLINK_HOPS } from '../../sdk/copy-plan.ts';
import { isConductorError } from '../../sdk/errors.ts';

const ROOT = '/var/lib/conductor/rootfs';

/** A fake filesystem: keys are host paths under ROOT, values link targets. */
function fakeReadlink(links: Record<string, string>, calls: string[] = []): (p: string) => string | null {
  return (p) => {
    calls.push(p);
    return Object.hasOwn(links, p) ? links[p]! : null;
  };
}
const noLinks = fakeReadlink({});
const at = (rel: string): string => `${ROOT}/${rel}`;

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
    assert.is(sourceError(bad, 7), `Conductorfile:7: COPY source ${JSON.stringify(bad)} is outside the build context`, bad);
  }
  // Resolving against a context at "/" must not clamp the escape away.
  assert.throws(() => checkSourceInContext('/', 'a/../../b', 'Conductorfile', 1), (e: unknown) => isConductorError(e, 'PARSE_ERROR'));
  assert.is(sourceError(''), 'Conductorfile:3: COPY source must not be empty');
  try {
    checkSourceInContext('.', '../x', 'sub/Conductorfile.dev', 12);
  } catch (e) {
    assert.is((e as Error).message, 'sub/Conductorfile.dev:12: COPY source "../x" is outside the build context');
  }
});

test('secureJoin: plain paths, absolute or relative, land under root', () => {
  assert.is(secureJoin(ROOT, '/etc/passwd', noLinks), at('etc/passwd'));
  assert.is(secureJoin(ROOT, 'etc/passwd', noLinks), at('etc/passwd'));
  assert.is(secureJoin(ROOT, './etc//./passwd', noLinks), at('etc/passwd'));
  assert.is(secureJoin(ROOT, '', noLinks), ROOT);
  assert.is(secureJoin(ROOT, '/', noLinks), ROOT);
  assert.is(secureJoin(ROOT, '.', noLinks), ROOT);
});

test('secureJoin: trailing slashes are dropped, on path and root', () => {
  assert.is(secureJoin(ROOT, '/opt/app/', noLinks), at('opt/app'));
  assert.is(secureJoin(ROOT, '/opt/app//', noLinks), at('opt/app'));
  assert.is(secureJoin(`${ROOT}/`, '/opt', noLinks), at('opt'));
  assert.is(secureJoin(`${ROOT}//`, '', noLinks), ROOT);
  const links = fakeReadlink({ [at('target')]: '/etc/' });
  assert.is(secureJoin(ROOT, '/target/', links), at('etc'));
  assert.is(secureJoin(ROOT, '/target', links), at('etc'));
});

test('secureJoin: ".." clamps at root', () => {
  assert.is(secureJoin(ROOT, '../../..', noLinks), ROOT);
  assert.is(secureJoin(ROOT, '../../../etc/shadow', noLinks), at('etc/shadow'));
  assert.is(secureJoin(ROOT, '/a/b/../../../../c', noLinks), at('c'));
  assert.is(secureJoin(ROOT, '/a/b/../c', noLinks), at('a/c'));
  assert.is(secureJoin(ROOT, 'a/./b/..', noLinks), at('a'));
});

test('secureJoin: an absolute link target is read relative to root', () => {
  const links = fakeReadlink({ [at('target')]: '/etc' });
  assert.is(secureJoin(ROOT, '/target/x', links), at('etc/x'));
  assert.is(secureJoin(ROOT, 'target/x/y', links), at('etc/x/y'));
  const toRoot = fakeReadlink({ [at('up')]: '/' });
  assert.is(secureJoin(ROOT, '/up/up/etc', toRoot), at('etc'));
});

test('secureJoin: relative link targets resolve from the link directory and clamp', () => {
  // a -> ../../b from the root: the two ".." clamp, so it is <root>/b.
  const links = fakeReadlink({ [at('a')]: '../../b' });
  assert.is(secureJoin(ROOT, '/a', links), at('b'));
  assert.is(secureJoin(ROOT, '/a/c', links), at('b/c'));
  // d/e/a -> ../../b goes to <root>/b too; d/e/f -> ../g to <root>/d/g.
  const nested = fakeReadlink({ [at('d/e/a')]: '../../b', [at('d/e/f')]: '../g', [at('d/e/h')]: 'sibling' });
  assert.is(secureJoin(ROOT, '/d/e/a/file', nested), at('b/file'));
  assert.is(secureJoin(ROOT, '/d/e/f/file', nested), at('d/g/file'));
  assert.is(secureJoin(ROOT, '/d/e/h', nested), at('d/e/sibling'));
});

test('secureJoin: chains of links, and links inside link targets, are followed', () => {
  const links = fakeReadlink({
    [at('usr/lib64')]: 'lib',
    [at('lib64')]: 'usr/lib64',
    [at('usr/lib/x')]: '/opt/../../../real',
    [at('real')]: 'final',
  });
  assert.is(secureJoin(ROOT, '/lib64/libc.so', links), at('usr/lib/libc.so'));
  assert.is(secureJoin(ROOT, '/lib64/x/y', links), at('final/y'));
});

test('secureJoin: ".." after a link applies to the resolved path, as in the kernel', () => {
  const links = fakeReadlink({ [at('link')]: '/a/b/c' });
  assert.is(secureJoin(ROOT, '/link/../d', links), at('a/b/d'));
});

test('secureJoin: readlink is asked about each prefix, always under root', () => {
  const calls: string[] = [];
  const readlink = fakeReadlink({ [at('t')]: '/../../../../etc' }, calls);
  assert.is(secureJoin(ROOT, '/../t/passwd', readlink), at('etc/passwd'));
  assert.equal(calls, [at('t'), at('etc'), at('etc/passwd')]);
  for (const c of calls) assert.ok(c.startsWith(`${ROOT}/`), c);
});

test('secureJoin: symlink loops error; long non-looping chains up to the limit are fine', () => {
  const loop = fakeReadlink({ [at('a')]: 'b', [at('b')]: 'a' });
  assert.throws(() => secureJoin(ROOT, '/a/x', loop), (e: unknown) => isConductorError(e, 'INVALID_ARGUMENT') && /too many symlinks/.test(e.message));
  const self = fakeReadlink({ [at('s')]: '/s' });
  assert.throws(() => secureJoin(ROOT, '/s', self), (e: unknown) => isConductorError(e, 'INVALID_ARGUMENT'));
  const chain = (n: number): Record<string, string> => {
    const links: Record<string, string> = {};
    for (let i = 0; i < n; i++) links[at(`l${i}`)] = `l${i + 1}`;
    return links;
  };
  assert.is(secureJoin(ROOT, '/l0', fakeReadlink(chain(MAX_SYMLINK_HOPS))), at(`l${MAX_SYMLINK_HOPS}`));
  assert.throws(() => secureJoin(ROOT, '/l0', fakeReadlink(chain(MAX_SYMLINK_HOPS + 1))), (e: unknown) => isConductorError(e, 'INVALID_ARGUMENT'));
});

test('secureJoin: a root of "/" works and the result never leaves root', () => {
  const links = fakeReadlink({ '/x': '../../y' });
  assert.is(secureJoin('/', '/x/z', links), '/y/z');
  assert.is(secureJoin('/', '../..', noLinks), '/');
  const hostile = fakeReadlink({ [at('a')]: '../../../../..', [at('b')]: '/../..//etc/../../etc', [at('c')]: '../a/../b/../../c2' });
  for (const p of ['/a/etc/shadow', '/b/shadow', '/c/x', '../a/b/c/../../..', 'a/../../b']) {
    const out = secureJoin(ROOT, p, hostile);
    assert.ok(out === ROOT || out.startsWith(`${ROOT}/`), `${p} -> ${out}`);
  }
  assert.is(secureJoin(ROOT, '/a/etc/shadow', hostile), at('etc/shadow'));
  assert.is(secureJoin(ROOT, '/b/shadow', hostile), at('etc/shadow'));
  assert.is(secureJoin(ROOT, '/c/x', hostile), at('c2/x'));
});

test.run();
