// `--dry-run` of stop, prune and rmi: each prints the host changes it would make (processes,
// cgroups, links, rules, files) and makes none. The host is diffed before and after: the veths,
// conductor's iptables rules of this root, mounts, cgroups and every file of the state root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hostInterfaceName, rootIdOf, loadRecord, internalPaths } from '../helpers/internals.ts';
import { cli, makeFixture, until, type Fixture } from '../helpers/runtime-fixture.ts';
import { mountLinesMentioning, uniqueName } from '../helpers/temp-root.ts';

let f: Fixture;
const [A, B, C] = [uniqueName('dra'), uniqueName('drb'), uniqueName('drc')];
const PORT = 20000 + Math.floor(Math.random() * 20000);

function must(r: { code: number | null; stdout: string; stderr: string }, what: string): string {
  assert.is(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
}

/** Every path under dir with its type, size, mode and a hash of its content; mount points are not entered. */
function tree(dir: string, skip: Set<string>): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = path.join(d, n);
      const st = lstatSync(p);
      const hash = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16) : '';
      out.push(`${p} ${st.mode.toString(8)} ${st.size} ${hash}`);
      if (st.isDirectory() && !skip.has(p)) walk(p);
    }
  };
  walk(dir);
  return out;
}

function snapshot() {
  const paths = internalPaths(f.root);
  const rid = rootIdOf(paths.root);
  const veths = [A, B, C].map((n) => hostInterfaceName(paths.root, n));
  const links = (
    JSON.parse(spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }).stdout) as {
      ifname: string;
      operstate: string;
    }[]
  )
    .filter((l) => veths.includes(l.ifname))
    .map((l) => `${l.ifname} ${l.operstate}`)
    .sort();
  const rules = spawnSync('iptables-save', { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.startsWith('-A ') && l.includes(`conductor:${rid}:`));
  const mounts = mountLinesMentioning(f.root).map((l) => l.split(' ').slice(4).join(' '));
  const cgroups = [A, B, C]
    .flatMap((n) => loadRecord(paths, n)?.cgroups ?? [])
    .map(
      (d) =>
        `${d} ${
          existsSync(d)
            ? readFileSync(path.join(d, 'cgroup.procs'), 'utf8').trim().split('\n').sort().join(',')
            : 'gone'
        }`,
    );
  const pids = [A, B, C].map((n) => {
    const r = loadRecord(paths, n);
    return r?.init ? `${n} ${existsSync(`/proc/${r.init.pid}`)}` : `${n} -`;
  });
  const files = tree(f.root, new Set(mounts.map((m) => m.split(' ')[0]!)));
  return { links, rules, mounts, cgroups, pids, files };
}

test.before(async () => {
  f = await makeFixture('dry');
  const c = (...args: string[]) => cli(f.env, args);
  for (const n of [A, B, C]) must(await c('run', '-d', '--memory', '64m', f.image, n, 'sleep', '600'), `run ${n}`);
  must(await c('addnetwork', A, '--expose', `80-${PORT}`), 'addnetwork A');
  must(await c('addnetwork', B), 'addnetwork B');
  must(await c('addnetwork', C), 'addnetwork C');
  must(await c('peer', A, B), 'peer');
  // C exits (its init killed): what prune would clean up.
  const init = loadRecord(internalPaths(f.root), C)!.init!;
  process.kill(init.pid, 'SIGKILL');
  await until(
    'C to exit',
    () => !existsSync(`/proc/${init.pid}`) || readFileSync(`/proc/${init.pid}/stat`, 'utf8').includes(') Z'),
  );
});

test.after(async () => {
  await f?.cleanup();
});

test('stop, prune and rmi with --dry-run print their host changes and change nothing', async () => {
  const paths = internalPaths(f.root);
  const recA = loadRecord(paths, A)!;
  const before = snapshot();
  // C's veth went with its network namespace; its rules and files are still there for prune.
  assert.equal(before.links.length, 2, before.links.join(', '));
  assert.ok(
    before.rules.length > 0 && before.cgroups.length > 0,
    `something to change: ${JSON.stringify(before.cgroups)}`,
  );

  const stopA = must(await cli(f.env, ['stop', '--dry-run', '-t', '3', A]), 'stop --dry-run');
  const prune = must(await cli(f.env, ['prune', '--dry-run']), 'prune --dry-run');
  const rmi = await cli(f.env, ['rmi', '--dry-run', f.image]);
  assert.is.not(rmi.code, 0, 'rmi of an image in use is refused, dry run or not');
  assert.match(rmi.stderr, /is used by container/);

  assert.equal(snapshot(), before, 'the host and the state root are exactly as before');

  const veth = recA.network!.hostInterface;
  const lines = stopA.split('\n');
  assert.ok(
    lines.includes(`kill -TERM ${recA.init!.pid}   # its init; still alive after 3 s: kill -KILL ${recA.init!.pid}`),
    stopA,
  );
  assert.ok(lines.includes(`ip link del ${veth}`), stopA);
  assert.ok(
    lines.some((l) => l.startsWith('-D CONDUCTOR-FORWARD') && l.includes(veth)),
    'its rules, deleted',
  );
  assert.ok(
    lines.some((l) => l.includes(`'${recA.network!.ip} ${A}'`) && l.includes(`/${B}/hosts`)),
    'forgotten by its peer',
  );
  for (const cg of recA.cgroups) assert.ok(lines.includes(`rmdir ${cg}   # and any child cgroups, deepest first`), cg);
  assert.ok(lines.at(-2)!.startsWith(`rm -rf ${path.join(paths.containers, A)}`), stopA);
  // The undo steps come newest first: the veth, made first, is deleted last.
  assert.ok(lines.indexOf(`ip link del ${veth}`) > lines.findIndex((l) => l.startsWith('-D CONDUCTOR-FORWARD')));

  assert.ok(prune.includes(`# stop container "${C}"`), prune);
  assert.ok(prune.includes(`ip link del ${loadRecord(paths, C)!.network!.hostInterface}`), prune);
  assert.not.ok(prune.includes(A) || prune.includes(B), 'running containers are not pruned');

  // The real thing changes what the dry runs left alone (so the comparison above can fail).
  must(await cli(f.env, ['stop', '-t', '0', A, B]), 'stop');
  must(await cli(f.env, ['prune']), 'prune');
  const after = snapshot();
  assert.equal(after.links, []);
  assert.equal(after.rules, []);
  assert.is.not(after.files.length, before.files.length);

  const rmiPlan = must(await cli(f.env, ['rmi', '--dry-run', f.image]), 'rmi --dry-run');
  assert.ok(rmiPlan.split('\n').includes(`rm -rf ${path.join(paths.images, f.image)}`), rmiPlan);
  assert.equal(snapshot(), after, 'rmi --dry-run changes nothing');
});

test.run();
