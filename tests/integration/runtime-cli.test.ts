// Root integration tests of the runtime CLI (`node dist/conductor.cjs`, rebuilt first) with
// CONDUCTOR_ROOT = a temp root holding one small image: argv handling, exit codes, output formats.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { COMMANDS } from '../../scripts/cli/commands.ts';
import { buildCli, cli, CLI, filesUnder, makeFixture, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { ps } from '../../sdk/index.ts';
import { statePaths } from '../helpers/state-paths.ts';

buildCli();
const f = await makeFixture('cli');
const root = f.root;
const env = f.env;
const img = f.image;
const c = (...args: string[]) => cli(env, args);
const dirOf = (name: string) => statePaths(root).container(name);

test.after(async () => {
  await f.cleanup();
});

/** A running container for a test, stopped in its finally. */
async function detached(name: string, ...cmd: string[]): Promise<void> {
  const r = await c('run', '-d', img, name, '--', ...(cmd.length ? cmd : ['sleep', 'infinity']));
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `${name}\n`);
}

test('unknown command: exit 2 and the usage on stderr', async () => {
  const r = await c('frobnicate');
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.match(r.stderr, /usage: conductor <command>/);
  assert.is(r.stdout, '');
  const none = await c();
  assert.is(none.code, 2, 'no command at all is a usage error');
  const x = uniqueName('x');
  const opt = await c('run', '--no-such-option', img, x, '--', 'true');
  assert.is(opt.code, 2);
  assert.match(opt.stderr, /unknown option "--no-such-option"/);
  assert.not.ok(existsSync(dirOf(x)), 'a usage error creates nothing');
  const missing = await c('run', img);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /usage: conductor run/);
});

test('--help on every command exits 0 and prints its usage', async () => {
  const names = Object.keys(COMMANDS);
  assert.ok(names.includes('run') && names.includes('exec') && names.includes('stop'));
  const results = await Promise.all(names.map((n) => c(n, '--help')));
  names.forEach((n, i) => {
    const r = results[i]!;
    assert.is(r.code, 0, `${n} --help: ${r.stderr}`);
    assert.ok(r.stdout.startsWith(`usage: conductor ${n}`), `${n} --help: ${r.stdout.slice(0, 80)}`);
  });
  const top = await c('--help');
  assert.is(top.code, 0);
  for (const n of names) assert.ok(top.stdout.includes(`  ${n} `), `main help lists ${n}`);
  const run = await c('help', 'run');
  assert.is(run.code, 0);
  assert.match(run.stdout, /--pids-limit/);
});

test("the original tool's form `conductor <image> <container> -- cmd` is run", async () => {
  const name = uniqueName('seed');
  try {
    const r = await c(img, name, '--', 'sh', '-c', 'hostname; exit 3');
    assert.is(r.code, 3, r.stderr);
    assert.is(r.stdout, `${name}\n`);
    const listed = (await ps({ root, all: true })).find((x) => x.name === name);
    assert.is(listed?.status, 'exited');
    const s = await c('stop', name);
    assert.is(s.code, 0, s.stderr);
    assert.is(s.stdout, `${name} stopped: exit 3\n`);
  } finally {
    await stopQuiet(root, name);
  }
});

test('options anywhere before `--`: `run -d img c` and `run img c -d` alike', async () => {
  const a = uniqueName('opta');
  const b = uniqueName('optb');
  try {
    const ra = await c('run', '-d', img, a, '-e', 'WHO=a', '--', 'sleep', 'infinity');
    const rb = await c('run', img, b, '-d', '--env=WHO=b', '--', 'sleep', 'infinity');
    assert.is(ra.code, 0, ra.stderr);
    assert.is(rb.code, 0, rb.stderr);
    assert.is(ra.stdout, `${a}\n`);
    assert.is(rb.stdout, `${b}\n`);
    const running = (await ps({ root })).map((x) => x.name);
    assert.ok(running.includes(a) && running.includes(b));
    const ea = await c('exec', a, 'sh', '-c', 'echo $WHO');
    const eb = await c('exec', b, '--', 'sh', '-c', 'echo $WHO');
    assert.is(ea.stdout, 'a\n');
    assert.is(eb.stdout, 'b\n');
    const rm = await c('run', img, uniqueName('optc'), '--rm', '-w', '/srv', '--', 'pwd');
    assert.is(rm.stdout, '/srv\n');
  } finally {
    await stopQuiet(root, a, b);
  }
});

const AWKWARD = [
  'a b',
  '"double"',
  "'single'",
  '$HOME',
  '*',
  '-x',
  '--rm',
  '',
  '  lead',
  'tab\there',
  'back\\slash',
  '--',
  '-d',
  'ünï',
];
const echoed = AWKWARD.map((s) => `${s}\n`).join('');

test('everything after `--` reaches the command untouched (run and exec)', async () => {
  const name = uniqueName('args');
  const r = await c('run', '--rm', img, name, '--', 'args', ...AWKWARD);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, echoed);
  assert.not.ok(existsSync(dirOf(name)), "--rm after -- was the command's, but --rm before -- was ours");
  const e = uniqueName('eargs');
  try {
    await detached(e);
    const x = await c('exec', e, '--', 'args', ...AWKWARD);
    assert.is(x.code, 0, x.stderr);
    assert.is(x.stdout, echoed);
    // Without `--`, the command starts at the first positional after the container.
    const y = await c('exec', e, 'args', '-e', 'X=1', '-w', '/tmp', '-d');
    assert.is(y.stdout, '-e\nX=1\n-w\n/tmp\n-d\n');
  } finally {
    await stopQuiet(root, e);
  }
});

test('hostile names are refused (exit 125 or a usage error) and change nothing', async () => {
  const good = uniqueName('host');
  try {
    await detached(good);
    const before = filesUnder(root);
    const cases: string[][] = [];
    for (const bad of ['..', '.', 'a/b', '../../etc', '', '-rf', 'x'.repeat(64), 'a b']) {
      cases.push(
        ['run', '-d', img, bad, '--', 'true'],
        ['stop', bad],
        ['exec', bad, 'true'],
        ['inspect', bad],
        ['logs', bad],
      );
    }
    cases.push(
      ['run', '-d', '../img', uniqueName('h'), '--', 'true'],
      ['run', '-d', img, uniqueName('h'), '--hostname', 'a/b', '--', 'true'],
    );
    for (const args of cases) {
      const r = await c(...args);
      const usage = args.includes('-rf');
      if (usage) assert.ok(r.code === 2 || r.code === 125, `${JSON.stringify(args)} → ${r.code}`);
      else {
        assert.is(r.code, 125, `${JSON.stringify(args)} → ${r.code} ${r.stderr}`);
        assert.match(r.stderr, /invalid (container|image) name/);
      }
      assert.is(r.stdout, '', `${JSON.stringify(args)} printed ${r.stdout}`);
    }
    assert.equal(filesUnder(root), before, 'the state root is unchanged');
    assert.ok(
      (await ps({ root })).some((x) => x.name === good),
      'the good container still runs',
    );
  } finally {
    await stopQuiet(root, good);
  }
});

test('exec without `--`, inspect --format, ps --json', async () => {
  const name = uniqueName('insp');
  try {
    await detached(name);
    const hi = await c('exec', name, '/bin/echo', 'hi');
    assert.is(hi.code, 0, hi.stderr);
    assert.is(hi.stdout, 'hi\n');
    const list = await c('ps', '--json');
    assert.is(list.code, 0);
    const parsed = JSON.parse(list.stdout) as Array<{ name: string; status: string; pid: number }>;
    const me = parsed.find((x) => x.name === name);
    assert.is(me?.status, 'running');
    assert.ok(Number.isInteger(me?.pid) && me!.pid > 1);
    const pid = await c('inspect', name, '--format', 'pid');
    assert.is(pid.stdout, `${me!.pid}\n`);
    const status = await c('inspect', '--format', 'status', name);
    assert.is(status.stdout, 'running\n');
    const ip = await c('inspect', name, '--format', 'ip');
    assert.is(ip.code, 0);
    assert.is(ip.stdout, '\n', 'no network: an empty line');
    const bad = await c('inspect', name, '--format', 'nope');
    assert.is(bad.code, 2);
    const json = await c('inspect', name, '--json');
    assert.is((JSON.parse(json.stdout) as { hostname: string }).hostname, name);
    const table = await c('ps');
    const up = 'Up (Less than a second|\\d+ seconds?)';
    assert.match(table.stdout, new RegExp(`^${name}\\s+${img}\\s+${up}\\s+${me!.pid}\\s`, 'm'));
    const all = JSON.parse((await c('ps', '-a', '--json')).stdout) as unknown[];
    assert.ok(Array.isArray(all) && all.length >= 1);
  } finally {
    await stopQuiet(root, name);
  }
});

test('output larger than a pipe holds arrives whole: inspect of a 100 KB environment, through a pipe', async () => {
  // A pipe takes 64 KB before a write has to wait; the rest is queued in the CLI, and only a
  // natural exit flushes it (process.exit at the end cut this at 65,536 bytes). A real pipe,
  // as a shell makes: node's own stdio pipes are socket pairs with larger buffers.
  const name = uniqueName('big');
  const value = 'y'.repeat(100_000); // one argument may hold 128 KB (MAX_ARG_STRLEN)
  try {
    const r = await c('run', '-d', '-e', `BIG=${value}`, img, name, '--', 'sleep', 'infinity');
    assert.is(r.code, 0, r.stderr);
    const piped = spawnSync('sh', ['-c', '"$@" | cat', 'sh', process.execPath, CLI, 'inspect', name, '--json'], {
      env,
      encoding: 'utf8',
      maxBuffer: 16 << 20,
    });
    assert.is(piped.status, 0, piped.stderr);
    assert.ok(piped.stdout.length > 100_000, `${piped.stdout.length} bytes`);
    const vars = (JSON.parse(piped.stdout) as { env: string[] }).env;
    assert.ok(vars.includes(`BIG=${value}`), 'the whole variable, not a cut JSON');
  } finally {
    await stopQuiet(root, name);
  }
});

test('stop prints `stopped: exit N` or `killed after N s (137)`; missing → 125 unless --ignore', async () => {
  const a = uniqueName('stopa');
  const b = uniqueName('stopb');
  try {
    await detached(a, 'sh', '-c', 'trap "exit 4" TERM; while :; do sleep 0.1; done');
    await detached(b, 'sleep', 'infinity');
    const ra = await c('stop', a);
    assert.is(ra.code, 0, ra.stderr);
    assert.is(ra.stdout, `${a} stopped: exit 4\n`);
    const rb = await c('stop', '-t', '1', b);
    assert.is(rb.code, 0, rb.stderr);
    assert.is(rb.stdout, `${b} killed after 1 s (137)\n`);
    assert.ok(rb.ms >= 1000, `waited ${rb.ms} ms`);
    const again = await c('stop', a);
    assert.is(again.code, 125);
    assert.match(again.stderr, new RegExp(`container "${a}" does not exist`));
    const ign = await c('stop', '--ignore', a);
    assert.is(ign.code, 0, ign.stderr);
    const badT = await c('stop', '-t', 'soon', a);
    assert.is(badT.code, 2);
  } finally {
    await stopQuiet(root, a, b);
  }
});

test('exit codes propagate: run 7 / 126 / 127, exec 7 / 127; exec into a stopped container → 125', async () => {
  const rn = await c('run', '--rm', img, uniqueName('ex'), '--', 'sh', '-c', 'exit 7');
  assert.is(rn.code, 7);
  const nf = await c('run', '--rm', img, uniqueName('ex'), '--', 'no-such-cmd-xyz');
  assert.is(nf.code, 127);
  assert.match(nf.stderr, /no-such-cmd-xyz/);
  const ne = await c('run', '--rm', img, uniqueName('ex'), '--', '/srv/data.txt');
  assert.is(ne.code, 126);
  const name = uniqueName('exe');
  const done = uniqueName('done');
  try {
    await detached(name);
    const e7 = await c('exec', name, 'sh', '-c', 'exit 7');
    assert.is(e7.code, 7);
    const e127 = await c('exec', name, 'no-such-cmd-xyz');
    assert.is(e127.code, 127);
    const r = await c('run', img, done, '--', 'true');
    assert.is(r.code, 0);
    const x = await c('exec', done, 'true');
    assert.is(x.code, 125);
    assert.match(x.stderr, new RegExp(`container "${done}" is not running`));
    const missing = await c('exec', uniqueName('none'), 'true');
    assert.is(missing.code, 125);
    assert.match(missing.stderr, /does not exist/);
  } finally {
    await stopQuiet(root, name, done);
  }
});

test("logs prints a detached container's output", async () => {
  const name = uniqueName('logs');
  try {
    await detached(name, 'sh', '-c', 'echo one; echo two >&2; sleep 30');
    const deadline = Date.now() + 5000;
    let out = '';
    while (Date.now() < deadline) {
      out = (await c('logs', name)).stdout;
      if (out.includes('two')) break;
    }
    assert.is(out, 'one\ntwo\n');
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', async () => {
  assert.equal(filesUnder(statePaths(root).containers), []);
});

test.run();
