import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apply, replayUndos, type Journal } from '../../../sdk/network/apply.ts';
import { planAddNetwork, planPeer, type AddNetworkInput, type PeerEnd, type Step } from '../../../sdk/network/plan.ts';
import { withRecords } from '../../../sdk/network/record-journal.ts';
import { recordingExecutor } from '../../../sdk/network/recording-executor.ts';
import { resolvePaths } from '../../../sdk/config.ts';
import { isConductorError } from '../../../sdk/errors.ts';
import { createRecordDir, loadRecord, saveRecord } from '../../../sdk/state/containers.ts';
import {
  RECORD_VERSION,
  type ContainerRecord,
  type HostOp,
  type NetworkRecord,
  type UndoStep,
} from '../../../sdk/types.ts';

const input: AddNetworkInput = {
  rootId: 'abcd1234',
  name: 'web',
  pid: 4242,
  hostInterface: 'cnd0badf00d',
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
const steps = planAddNetwork(input);

/** The undos apply must run when step k fails: k's own (it may have half-applied), then k-1..0, newest first. */
function expectedUndos(plan: Step[], k: number): HostOp[] {
  return plan
    .slice(0, k + 1)
    .flatMap((s) => (s.undo ? [s.undo.op] : []))
    .reverse();
}

test('apply: every step runs in order, nothing is undone', async () => {
  const ex = recordingExecutor();
  const recorded: UndoStep[] = [];
  await apply(steps, {
    executor: ex,
    journal: { record: (u) => void recorded.push(u), forget: () => assert.unreachable('nothing failed') },
  });
  assert.equal(
    ex.calls,
    steps.map((s) => ({ mode: 'run', op: s.op })),
  );
  assert.equal(
    recorded,
    steps.flatMap((s) => (s.undo ? [s.undo] : [])),
  );
});

test('apply: a failure at step k undoes k..0 in reverse, after recording each undo before its step', async () => {
  assert.ok(steps.length >= 10, 'a plan long enough to fail in the middle');
  for (let k = 0; k < steps.length; k++) {
    const ex = recordingExecutor({ failAt: k });
    const journal: UndoStep[] = [];
    let forgotten: UndoStep[] | null = null;
    const j: Journal = {
      record(u) {
        // The step this undo belongs to has not run yet.
        assert.is(ex.calls.filter((c) => c.mode === 'run').length, steps.indexOf(steps.find((s) => s.undo === u)!));
        journal.push(u);
      },
      forget(undone) {
        forgotten = undone;
      },
    };
    const err = await apply(steps, { executor: ex, journal: j }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(isConductorError(err, 'COMMAND_FAILED'), `step ${k}: the step's error is rethrown`);
    const runs = ex.calls.filter((c) => c.mode === 'run').map((c) => c.op);
    const undos = ex.calls.filter((c) => c.mode === 'undo').map((c) => c.op);
    assert.equal(
      runs,
      steps.slice(0, k + 1).map((s) => s.op),
      `step ${k}: nothing runs after the failure`,
    );
    assert.equal(undos, expectedUndos(steps, k), `step ${k}: undos newest first`);
    assert.equal(
      ex.calls.slice(k + 1).map((c) => c.mode),
      undos.map(() => 'undo'),
      'undos only after the failure',
    );
    assert.equal(forgotten, journal, `step ${k}: the journal forgets exactly what it recorded`);
  }
});

test("replayUndos: newest first, and a failing executor is the executor's business (tolerant undo)", async () => {
  const ex = recordingExecutor();
  const undos = steps.flatMap((s) => (s.undo ? [s.undo] : []));
  await replayUndos(undos, { executor: ex });
  assert.equal(
    ex.calls,
    [...undos].reverse().map((u) => ({ mode: 'undo', op: u.op })),
  );
});

// --- the journal owning container records -----------------------------------------------------

const root = mkdtempSync(path.join(os.tmpdir(), 'conductor-journal-'));
const paths = resolvePaths(root);

function makeRecord(name: string, network?: NetworkRecord): ContainerRecord {
  const rec: ContainerRecord = {
    version: RECORD_VERSION,
    name,
    image: 'img',
    command: ['sleep', '1'],
    env: [],
    workdir: '/',
    hostname: name,
    createdAt: new Date(0).toISOString(),
    detached: true,
    autoRemove: false,
    limits: {},
    cgroups: [],
    undo: [{ op: { kind: 'exec', argv: ['true'] }, about: 'an earlier change' }],
    security: { privileged: false, capAdd: [], capDrop: [] },
    ...(network ? { network } : {}),
  };
  createRecordDir(paths, rec);
  return rec;
}

test('record journal: each undo is on disk before its step; a failure leaves the record as it was', async () => {
  const before = makeRecord('web');
  const network: NetworkRecord = {
    ip: '10.177.0.2',
    prefixLength: 32,
    gateway: '10.177.0.1',
    hostInterface: 'cnd0badf00d',
    internet: true,
    ports: [],
    peers: [],
  };
  const k = 7;
  const ex = recordingExecutor({ failAt: k });
  const run = ex.run.bind(ex);
  ex.run = async (op) => {
    // The executor is about to make step i: its undo (if any) and all earlier ones are on disk.
    const i = ex.calls.filter((c) => c.mode === 'run').length;
    const onDisk = loadRecord(paths, 'web')!.undo.map((u) => u.op);
    assert.equal(
      onDisk,
      [before.undo[0]!.op, ...steps.slice(0, i + 1).flatMap((s) => (s.undo ? [s.undo.op] : []))],
      `before step ${i}`,
    );
    return run(op);
  };
  const err = await withRecords(paths, ['web'], async (held) => {
    held.update('web', (r) => ({ ...r, network }));
    await apply(steps, { executor: ex, journal: held.journal(() => undefined) });
  }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(isConductorError(err, 'COMMAND_FAILED'));
  assert.equal(
    ex.calls.filter((c) => c.mode === 'undo').map((c) => c.op),
    expectedUndos(steps, k),
  );
  const after = loadRecord(paths, 'web')!;
  assert.equal(after.undo, before.undo, 'only the undos of the failed plan are gone');
  assert.is(after.network, undefined, 'the address reservation is dropped');
});

test('record journal: peer undos land in both records, and both are clean after a rollback', async () => {
  const net = (ip: string, v: string): NetworkRecord => ({
    ip,
    prefixLength: 32,
    gateway: '10.177.0.1',
    hostInterface: v,
    internet: false,
    ports: [],
    peers: [],
  });
  makeRecord('api', net('10.177.0.2', 'cndaaaaaaaa'));
  makeRecord('db', net('10.177.0.3', 'cndbbbbbbbb'));
  const A: PeerEnd = { name: 'api', ip: '10.177.0.2', hostInterface: 'cndaaaaaaaa', hostsPath: '/r/api/hosts' };
  const B: PeerEnd = { name: 'db', ip: '10.177.0.3', hostInterface: 'cndbbbbbbbb', hostsPath: '/r/db/hosts' };
  const plan = planPeer('abcd1234', A, B);
  await withRecords(paths, ['db', 'api'], (held) =>
    apply(plan, { executor: recordingExecutor(), journal: held.journal((n) => n) }),
  );
  for (const n of ['api', 'db'])
    assert.equal(
      loadRecord(paths, n)!.undo.slice(1),
      plan.map((s) => s.undo!),
      n,
    );
  const ex = recordingExecutor({ failAt: 2 });
  makeRecord('x', net('10.177.0.4', 'cndcccccccc'));
  makeRecord('y', net('10.177.0.5', 'cnddddddddd'));
  const plan2 = planPeer(
    'abcd1234',
    { ...A, name: 'x', ip: '10.177.0.4', hostInterface: 'cndcccccccc' },
    { ...B, name: 'y', ip: '10.177.0.5', hostInterface: 'cnddddddddd' },
  );
  await withRecords(paths, ['x', 'y'], (held) => apply(plan2, { executor: ex, journal: held.journal((n) => n) })).catch(
    () => {},
  );
  assert.equal(
    ex.calls.filter((c) => c.mode === 'undo').map((c) => c.op),
    expectedUndos(plan2, 2),
  );
  for (const n of ['x', 'y']) assert.equal(loadRecord(paths, n)!.undo.length, 1, `${n} is left clean`);
});

test('record journal: a record being removed by stop is not ours to change', async () => {
  makeRecord('leaving');
  const rec = loadRecord(paths, 'leaving')!;
  saveRecord(paths, { ...rec, stopping: { pid: process.pid, startTime: '1' } });
  const err = await withRecords(paths, ['leaving'], async () => assert.unreachable('must not run')).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(isConductorError(err, 'CONTAINER_NOT_FOUND'));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
