import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolvePaths } from '../../../sdk/config.ts';
import { isConductorError } from '../../../sdk/errors.ts';
import { containerPaths, listRecords, loadRecord } from '../../../sdk/state/containers.ts';
import { upgradeRecord, upgradeUndo } from '../../../sdk/state/record-version.ts';
import { RECORD_VERSION } from '../../../sdk/types.ts';
import { failure } from '../../helpers/expect-error.ts';

/** A record as conductor wrote it before undo steps were typed (version 1), from a real peered, published container. */
const V1 = {
  version: 1,
  name: 'web',
  image: 'img',
  command: ['sleep', '1'],
  env: [],
  workdir: '/',
  hostname: 'web',
  createdAt: '2024-01-01T00:00:00.000Z',
  detached: true,
  autoRemove: false,
  limits: {},
  cgroups: [],
  security: { privileged: false, capAdd: [], capDrop: [] },
  undo: [
    { argv: ['ip', 'link', 'del', 'cnd0badf00d'], about: 'delete veth cnd0badf00d (and its peer)' },
    {
      argv: ['@sysctl', 'net.ipv4.conf.cnd0badf00d.forwarding', '0'],
      about: 'reset net.ipv4.conf.cnd0badf00d.forwarding',
    },
    { argv: ['@ip-forward', 'release', 'conductor:abcd1234:web'], about: 'restore ip_forward' },
    {
      argv: ['iptables-restore', '-w', '--noflush'],
      input: '*filter\n-D CONDUCTOR-FORWARD -i cnd0badf00d -j DROP\nCOMMIT\n',
      about: 'remove rules',
    },
    { argv: ['@write', '/r/web/resolv.conf'], input: '', about: 'restore resolv.conf of "web"' },
    { argv: ['@hosts', 'remove', '/r/db/hosts', '10.177.0.2', 'web'] },
  ],
};

test('a version-1 record is upgraded: every argv-form undo becomes its typed operation', () => {
  const rec = upgradeRecord(structuredClone(V1), 'container "web"');
  assert.is(rec.version, RECORD_VERSION);
  assert.equal(
    rec.undo.map((u) => u.op),
    [
      { kind: 'exec', argv: ['ip', 'link', 'del', 'cnd0badf00d'] },
      { kind: 'sysctl', key: 'net.ipv4.conf.cnd0badf00d.forwarding', value: '0' },
      { kind: 'forwarding-release', tag: 'conductor:abcd1234:web' },
      {
        kind: 'exec',
        argv: ['iptables-restore', '-w', '--noflush'],
        input: '*filter\n-D CONDUCTOR-FORWARD -i cnd0badf00d -j DROP\nCOMMIT\n',
      },
      { kind: 'write-in-place', file: '/r/web/resolv.conf', content: '' },
      { kind: 'hosts', action: 'remove', file: '/r/db/hosts', ip: '10.177.0.2', name: 'web' },
    ],
  );
  assert.is(rec.undo[0]!.about, 'delete veth cnd0badf00d (and its peer)');
  assert.ok(rec.undo[5]!.about.length > 0, 'an undo without about gets one');
  // Unversioned records (older still) are read the same way; current ones as they are.
  const { version: _, ...unversioned } = structuredClone(V1);
  assert.equal(upgradeRecord(unversioned, 'x').undo, rec.undo);
  assert.equal(upgradeRecord(rec, 'x'), rec);
});

test('an undo step no conductor ever wrote is refused, not guessed at', () => {
  for (const bad of [
    { argv: ['@mystery', 'x'] },
    { argv: ['@sysctl', 'only-key'] },
    { argv: ['@hosts', 'replace', 'f', 'ip', 'n'] },
    { argv: [] },
    { nope: 1 },
    null,
  ]) {
    const msg = failure(() => upgradeUndo(bad, 'container "web"'), 'UNSUPPORTED_RECORD');
    assert.ok(msg.startsWith('container "web" has an undo step'), msg);
  }
});

test('a record of an unknown version is refused with a clear message, and left as it is', () => {
  for (const version of [3, 99, 0, '2', 'x']) {
    const msg = failure(() => upgradeRecord({ ...V1, version }, 'container "web"'), 'UNSUPPORTED_RECORD');
    assert.ok(msg.includes(`container "web" has a record of version ${JSON.stringify(version)}`), msg);
    assert.ok(msg.includes(`versions 1 to ${RECORD_VERSION}`), msg);
    assert.not.ok(msg.includes('\n'), 'one line');
  }
  const root = mkdtempSync(path.join(os.tmpdir(), 'conductor-version-'));
  try {
    const paths = resolvePaths(root);
    const cp = containerPaths(paths, 'future');
    mkdirSync(cp.dir, { recursive: true });
    const text = JSON.stringify({
      ...V1,
      name: 'future',
      version: 3,
      undo: [{ op: { kind: 'teleport' }, about: 'from the future' }],
    });
    writeFileSync(cp.state, text);
    failure(() => loadRecord(paths, 'future'), 'UNSUPPORTED_RECORD');
    assert.throws(
      () => listRecords(paths),
      (e: unknown) => isConductorError(e, 'UNSUPPORTED_RECORD'),
    );
    assert.is(readFileSync(cp.state, 'utf8'), text, 'the record is not rewritten');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
