// `--dry-run` of run, exec, build, stop, prune and rmi: each prints the host changes it would make
// (processes, cgroups, links, rules, mounts, files) and makes none. The host is diffed before and
// after: the veths, conductor's iptables rules of this root, mounts, cgroups, the processes of this
// root and every file of the state root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cgroupDirsFor,
  cgroupId,
  detectLayout,
  hostInterfaceName,
  rootIdOf,
  loadRecord,
  internalPaths,
} from '../helpers/internals.ts';
import { cli, makeFixture, processesMentioning, until, type Fixture } from '../helpers/runtime-fixture.ts';
import { mountLinesMentioning, uniqueName } from '../helpers/temp-root.ts';
import { displayCommand } from '../../sdk/index.ts';

let f: Fixture;
const [A, B, C, D] = [uniqueName('dra'), uniqueName('drb'), uniqueName('drc'), uniqueName('drd')];
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
  const veths = [A, B, C, D].map((n) => hostInterfaceName(paths.root, n));
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
    .filter((l) => l.startsWith('-A ') && l.includes(`conductor:${rid}:`))
    .concat(
      spawnSync('ipset', ['save'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter((l) => l.startsWith('add ') && l.includes(`conductor:${rid}:`))
        .sort(),
    );
  const mounts = mountLinesMentioning(f.root).map((l) => l.split(' ').slice(4).join(' '));
  // D's: the directories a run of it would make, wherever they would be on this host's layout.
  const cgroups = [A, B, C]
    .flatMap((n) => loadRecord(paths, n)?.cgroups ?? [])
    .concat(cgroupDirsFor(detectLayout(), cgroupId(paths.root, D)))
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
  const procs = processesMentioning(f.root)
    .map((p) => p.pid)
    .sort((a, b) => a - b);
  const temps = readdirSync(os.tmpdir()).filter((n) => n.startsWith('conductor-dry-'));
  return { links, rules, mounts, cgroups, pids, files, procs, temps };
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

const RUN_EXEC_BUILD =
  'run, exec and build with --dry-run check as the real verbs, print their host changes and change nothing';
test(RUN_EXEC_BUILD, async () => {
  const paths = internalPaths(f.root);
  const recA = loadRecord(paths, A)!;
  const vol = uniqueName('drv');
  const ctx = mkdtempSync('/tmp/conductor-test-ctx-');
  try {
    writeFileSync(path.join(ctx, 'a.txt'), 'a\n');
    writeFileSync(path.join(ctx, 'Conductorfile'), `FROM ${f.image}\nCOPY a.txt /a.txt\nRUN cat /a.txt\n`);
    const runArgs = [
      '-d',
      '--memory',
      '32m',
      '-v',
      `${vol}:/data`,
      '--expose',
      `81-${PORT + 1}`,
      f.image,
      D,
      'sleep',
      '60',
    ];
    const before = snapshot();

    const runPlan = must(await cli(f.env, ['run', '--dry-run', ...runArgs]), 'run --dry-run');
    const execPlan = must(await cli(f.env, ['exec', '--dry-run', A, '--', 'touch', '/x y']), 'exec --dry-run');
    const buildPlan = must(
      await cli(f.env, ['build', '--dry-run', uniqueName('drimg'), path.join(ctx, 'Conductorfile'), '--context', ctx]),
      'build --dry-run',
    );
    // Bad input fails as it does without --dry-run.
    const refused: [string[], RegExp][] = [
      [['run', '--dry-run', f.image, A], /already exists/],
      [['run', '--dry-run', '--memory', '1x', f.image, D], /memory/],
      [['run', '--dry-run', '--expose', `80-${PORT}`, f.image, D], /already published|in use/],
      [['exec', '--dry-run', D, 'true'], /does not exist/],
      [['build', '--dry-run', 'x', path.join(ctx, 'nope')], /not found/],
    ];
    for (const [args, why] of refused) {
      const r = await cli(f.env, args);
      assert.is.not(r.code, 0, args.join(' '));
      assert.match(r.stderr, why, args.join(' '));
    }
    assert.equal(snapshot(), before, 'the host and the state root are exactly as before');

    const run = runPlan.split('\n');
    const img = JSON.parse(readFileSync(path.join(paths.images, f.image, 'image.json'), 'utf8')) as {
      layers: string[];
    };
    const lower = [...img.layers].reverse().map((id) => path.join(paths.layers, id, 'diff'));
    const rootfs = path.join(paths.containers, D, 'rootfs');
    assert.ok(
      run.some((l) => l.startsWith(`mount -t overlay overlay -o lowerdir=${lower.join(':')}:`) && l.endsWith(rootfs)),
      runPlan,
    );
    assert.ok(
      run.some((l) => l.endsWith('memory.max') || l.endsWith('memory.limit_in_bytes')),
      'the limit written',
    );
    assert.ok(run.includes(`mkdir -p ${path.join(paths.volumes, vol, '_data')}`), 'the volume created');
    assert.ok(
      run.some((l) => l.startsWith(`ip link add ${hostInterfaceName(paths.root, D)} type veth`)),
      'the network',
    );
    const argv = run.find((l) => l.includes(' -- ') && l.endsWith(' -- sleep 60'));
    assert.ok(argv, `the launch argv: ${runPlan}`);

    const exec = execPlan.split('\n');
    assert.ok(exec.includes(`# it joins the cgroups ${recA.cgroups.join(' ')}`), execPlan);
    assert.ok(
      exec.some(
        (l) => l.includes(`--join ${recA.init!.pid}:${recA.init!.startTime} `) && l.endsWith(`-- touch '/x y'`),
      ),
      execPlan,
    );
    assert.ok(buildPlan.includes(`# stage 0: FROM ${f.image}   # image "${f.image}" (1 layer)`), buildPlan);
    assert.ok(buildPlan.includes('COPY a.txt /a.txt   # not cached'), buildPlan);
    assert.ok(buildPlan.includes("/bin/sh -c 'cat /a.txt'"), buildPlan);

    // The real run makes what its dry run printed (so the comparison above can fail): the same argv.
    must(await cli(f.env, ['run', ...runArgs]), 'run');
    const recD = loadRecord(paths, D)!;
    assert.ok(recD.cgroups.length > 0);
    for (const cg of recD.cgroups) assert.ok(run.includes(`mkdir -p ${cg}`), `cgroup ${cg}: ${runPlan}`);
    const monitorArgv = readFileSync(`/proc/${recD.monitor!.pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    assert.is(displayCommand(monitorArgv), argv, 'the monitor runs the printed argv');
    const after = snapshot();
    // Its overlay is mounted in its own mount namespace, never the host's.
    const mountinfo = readFileSync(`/proc/${recD.init!.pid}/mountinfo`, 'utf8');
    assert.ok(mountinfo.includes(`lowerdir=${lower.join(':')}:`), 'the printed overlay is what it mounted');
    for (const k of ['links', 'rules', 'cgroups', 'procs', 'files'] as const)
      assert.not.equal(after[k], before[k], `run changed ${k}`);
    must(await cli(f.env, ['stop', '-t', '0', D]), 'stop D');
    must(await cli(f.env, ['volume', 'rm', vol]), 'volume rm');
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
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
    lines.some((l) => l.startsWith('del conductor-addr ') && l.endsWith(`,${veth}`)),
    'its set elements, deleted',
  );
  assert.ok(
    lines.some((l) => l.includes(`'${recA.network!.ip} ${A}'`) && l.includes(`/${B}/hosts`)),
    'forgotten by its peer',
  );
  for (const cg of recA.cgroups) assert.ok(lines.includes(`rmdir ${cg}   # and any child cgroups, deepest first`), cg);
  assert.ok(lines.at(-2)!.startsWith(`rm -rf ${path.join(paths.containers, A)}`), stopA);
  // The undo steps come newest first: the veth, made first, is deleted last.
  assert.ok(lines.indexOf(`ip link del ${veth}`) > lines.findIndex((l) => l.startsWith('del conductor-addr ')));

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
