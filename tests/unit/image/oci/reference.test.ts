import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerfile } from '../../../../sdk/image/conductorfile-syntax.ts';
import { planBuild } from '../../../../sdk/image/build-plan.ts';
import {
  defaultLocalName,
  exportName,
  isRegistryReference,
  parseReference,
} from '../../../../sdk/image/oci/reference.ts';

test('parseReference: host:port, nested paths, tags and digests', () => {
  assert.equal(parseReference('127.0.0.1:5000/bars/x:1'), { domain: '127.0.0.1:5000', path: 'bars/x', tag: '1' });
  assert.equal(parseReference('docker.io/library/python:3.12-slim'), {
    domain: 'docker.io',
    path: 'library/python',
    tag: '3.12-slim',
  });
  assert.equal(parseReference('localhost/web'), { domain: 'localhost', path: 'web' });
  assert.equal(parseReference('team/web'), { path: 'team/web' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.equal(parseReference(`r.io/x@${d}`), { domain: 'r.io', path: 'x', digest: d });
  for (const bad of ['', 'Web', 'a_', 'x:bad tag', 'r.io/x@sha256:zz', 'a//b'])
    assert.throws(() => parseReference(bad), /invalid image reference/, bad);
});

const theFROMRuleA =
  'the FROM rule: a first component with "." or ":" or "localhost" names a registry; debian:bookworm does not';
test(theFROMRuleA, () => {
  assert.ok(isRegistryReference('docker.io/library/python:3.12-slim'));
  assert.ok(isRegistryReference('127.0.0.1:5000/team/base:1'));
  assert.ok(isRegistryReference('localhost/base'));
  assert.not.ok(isRegistryReference('debian:bookworm'));
  assert.not.ok(isRegistryReference('python:3.12-slim'));
  assert.not.ok(isRegistryReference('team/base'));
  assert.not.ok(isRegistryReference('my-local-image'));
});

test('local names and export names', () => {
  assert.is(defaultLocalName(parseReference('host:5000/bars/x:1')), 'x');
  assert.is(exportName('web'), 'localhost/web:latest');
  assert.is(exportName('Web_1', 'team/web:2'), 'localhost/team/web:2');
  assert.is(exportName('web', 'r.io:5000/a/b'), 'r.io:5000/a/b:latest');
  assert.throws(() => exportName('Web'), /needs|--tag/);
  assert.throws(() => exportName('web_'), /--tag/);
});

test('FROM a registry reference plans a stage on that registry image; FROM debian:bookworm stays a base', () => {
  const plan = (text: string) => planBuild(parseDockerfile(text, 'Conductorfile'));
  assert.equal(plan('FROM 127.0.0.1:5000/team/base:1\nRUN true\n').stages[0]!.base, {
    kind: 'registry',
    ref: '127.0.0.1:5000/team/base:1',
  });
  assert.equal(plan('FROM debian:bookworm\n').stages[0]!.base, {
    kind: 'base',
    base: { distro: 'debian', suite: 'bookworm' },
  });
  assert.throws(() => plan('FROM r.io/Bad_Name\n'), /invalid image reference/);
});

test.run();
