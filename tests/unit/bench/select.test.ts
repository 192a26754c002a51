import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GROUPS } from '../../../bench/groups/index.ts';
import { needsOf, selectGroups } from '../../../bench/lib/select.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ids = (s: ReturnType<typeof selectGroups>) => (s.kind === 'run' ? s.groups.map((g) => g.id) : s.kind);
const ALL = [
  'floors',
  'run',
  'disk',
  'exec',
  'memory',
  'rebuild',
  'build',
  'concurrency',
  'addnetwork',
  'http',
  'scale-addnetwork',
  'scale-ps',
  'scale-http',
  'scale-transfer',
  'stop-all',
  'up',
  'chain',
  'profile',
];

test('every group has its own file bench/groups/<id>.ts, and the order is the report order', () => {
  assert.equal(
    GROUPS.map((g) => g.id),
    ALL,
  );
  const files = readdirSync(path.join(REPO, 'bench', 'groups'))
    .filter((f) => f !== 'index.ts')
    .map((f) => f.replace(/\.ts$/, ''));
  assert.equal(files.sort(), [...ALL].sort());
});

test('no group names: every group, a full run', () => {
  const s = selectGroups([], GROUPS);
  assert.equal(ids(s), ALL);
  assert.ok(s.kind === 'run' && s.full);
});

test('named groups run in the canonical order, once each, and are not a full run', () => {
  const s = selectGroups(['memory', 'floors', 'disk', 'floors'], GROUPS);
  assert.equal(ids(s), ['floors', 'disk', 'memory']);
  assert.ok(s.kind === 'run' && !s.full);
});

test('naming every group is a full run', () => {
  const s = selectGroups([...ALL].reverse(), GROUPS);
  assert.ok(s.kind === 'run' && s.full);
});

test('an unknown group: one line naming it and every valid id', () => {
  const s = selectGroups(['floors', 'flors'], GROUPS);
  assert.is(s.kind, 'error');
  if (s.kind !== 'error') return;
  assert.is(s.message, `bench: unknown group "flors"; valid groups: ${ALL.join(', ')}`);
  assert.not.match(s.message, /\n/);
});

test('--help prints the usage with the ids', () => {
  const s = selectGroups(['--help'], GROUPS);
  assert.ok(s.kind === 'help' && s.text.includes(ALL.join(' ')));
});

test('the setup prepares only what the selected groups need, with what each need implies', () => {
  const need = (...g: string[]) => {
    const s = selectGroups(g, GROUPS);
    return s.kind === 'run' ? [...needsOf(s.groups)].sort() : [];
  };
  assert.equal(need('floors', 'build', 'concurrency', 'addnetwork'), []);
  assert.equal(need('disk'), ['conductor-container', 'podman-container', 'podman-image']);
  assert.equal(need('rebuild'), ['podman-build', 'podman-image']);
  assert.equal(need('profile'), ['conductor-container']);
  assert.equal(need('up', 'chain', 'http'), ['demo-images']);
  assert.equal(need('scale-http', 'stop-all'), ['demo-images']);
  assert.equal(need(), ['conductor-container', 'demo-images', 'podman-build', 'podman-container', 'podman-image']);
});

test('tsx bench/run.ts with an unknown group: exit 2, one line on stderr, no temporary directory made', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-select-'));
  try {
    const r = spawnSync(
      path.join(REPO, 'node_modules', '.bin', 'tsx'),
      [path.join(REPO, 'bench', 'run.ts'), 'floors', 'nope'],
      {
        env: { ...process.env, TMPDIR: tmp },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.is(r.status, 2, r.stderr);
    assert.is(r.stdout, '');
    assert.is(r.stderr, `bench: unknown group "nope"; valid groups: ${ALL.join(', ')}\n`);
    assert.equal(
      readdirSync(tmp).filter((f) => f.startsWith('conductor-bench-')),
      [],
    ); // tsx keeps its own cache there
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
