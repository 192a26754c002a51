import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planAddNetwork, planPeer, type AddNetworkInput, type PeerEnd } from '../../../sdk/network/plan.ts';
import { mergeRestoreInputs, planUndoBatch } from '../../../sdk/network/undo-plan.ts';
import type { UndoStep } from '../../../sdk/types.ts';

const base: AddNetworkInput = {
  rootId: 'abcd1234',
  name: 'web',
  pid: 4242,
  hostInterface: 'cnd0000000a',
  ip: '10.177.0.2',
  gateway: '10.177.0.1',
  subnet: '10.177.0.0/16',
  internet: true,
  ports: [{ container: 8080, host: 3000 }],
  outInterfaces: ['eth0'],
  resolvPath: '/r/web/resolv.conf',
  resolvContent: 'nameserver 192.0.2.53\n',
  resolvBefore: '',
};
const undosOf = (i: AddNetworkInput): UndoStep[] => planAddNetwork(i).flatMap((s) => (s.undo ? [s.undo] : []));
const web = undosOf(base);
const db = undosOf({
  ...base,
  name: 'db',
  hostInterface: 'cnd0000000b',
  ip: '10.177.0.3',
  ports: [],
  resolvPath: '/r/db/resolv.conf',
});
const end = (name: string, ip: string, hostInterface: string): PeerEnd => ({
  name,
  ip,
  hostInterface,
  hostsPath: `/r/${name}/hosts`,
});
const peerUndos = planPeer(
  'abcd1234',
  end('web', '10.177.0.2', 'cnd0000000a'),
  end('db', '10.177.0.3', 'cnd0000000b'),
).flatMap((s) => (s.undo ? [s.undo] : []));

test('mergeRestoreInputs: one block per table, lines in the order given', () => {
  assert.is(
    mergeRestoreInputs(['*filter\n-D F a\nCOMMIT\n*nat\n-D N a\nCOMMIT\n', '*filter\n-D F b\nCOMMIT\n']),
    '*nat\n-D N a\nCOMMIT\n*filter\n-D F a\n-D F b\nCOMMIT\n',
  );
  assert.is(mergeRestoreInputs([]), '');
});

test('planUndoBatch: one restore per tool, one release and one link deletion for all; each container once', () => {
  const plan = planUndoBatch([web, db]);
  assert.equal(plan.links, ['cnd0000000a', 'cnd0000000b']);
  assert.equal(plan.release, ['conductor:abcd1234:web', 'conductor:abcd1234:db']);
  assert.ok(plan.restore);
  const parts = [web, db].flatMap((l) => l.filter((u) => u.op.kind === 'exec' && u.op.argv[0] === 'iptables-restore'));
  assert.equal(
    plan.restore!.parts,
    parts.map((u) => u.op),
  );
  const input = plan.restore!.merged.kind === 'exec' ? plan.restore!.merged.input! : '';
  assert.is(input.match(/^\*nat$/gm)?.length, 1);
  for (const u of parts) {
    for (const line of (u.op.kind === 'exec' ? u.op.input! : '').split('\n').filter((l) => l.startsWith('-')))
      assert.ok(input.includes(line), line);
  }
  // Every set element of both, deleted by one ipset restore.
  assert.equal(plan.sets && plan.sets.kind === 'exec' ? plan.sets.argv : null, ['ipset', '-exist', 'restore']);
  const dels = plan.sets!.kind === 'exec' ? plan.sets!.input! : '';
  assert.ok(dels.includes('del conductor-addr 10.177.0.2,cnd0000000a\n'));
  assert.ok(dels.includes('del conductor-addr 10.177.0.3,cnd0000000b\n'));
  // The veths' own sysctls go with the veths; the resolv.conf restores stay, newest first per container.
  assert.equal(
    plan.each.map((op) => op.kind),
    ['write-in-place', 'write-in-place'],
  );
});

test('planUndoBatch: a peer pair stopping together deletes their shared rules once', () => {
  const plan = planUndoBatch([
    [...web, ...peerUndos],
    [...db, ...peerUndos],
  ]);
  const dels = plan.sets!.kind === 'exec' ? plan.sets!.input! : '';
  assert.is(dels.split('\n').filter((l) => l === 'del conductor-peer 10.177.0.2,cnd0000000b').length, 1);
  assert.is(plan.each.filter((op) => op.kind === 'hosts').length, 2);
});

test.run();
