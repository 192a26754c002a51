// Root integration tests of what a container process must not share with the caller that started
// it, each performing the attack from inside: the caller's terminal (/dev/tty, TIOCSTI injection,
// kill(0) on its process group), the caller's environment (secrets in /proc/*/environ), the
// caller's session keyring (its keys), capabilities that survive in the inheritable or ambient
// set, raw sockets, and the host's cgroup paths. The CLI is run as a user would run it: under a
// real terminal (script(1)) where a terminal matters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildCli, CLI, cli, DEFAULT_CAPBND, makeFixture, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { buildImage, silentLogger } from '../../sdk/index.ts';
import { type ContainerRecord } from '../helpers/internals.ts';
import { statePaths } from '../helpers/state-paths.ts';

buildCli();
const f = await makeFixture('hb');
const c = (...args: string[]) => cli(f.env, args);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test.after(async () => {
  await f.cleanup();
});

interface Run {
  code: number | null;
  out: string;
}

/** Run a shell command line under script(1): a new session whose controlling terminal is a pty. */
function underTerminal(line: string, env: NodeJS.ProcessEnv = f.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a kill(0) that escapes the container can only hit script's tree.
    const child = spawn('script', ['-qec', line, '/dev/null'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out: out.replace(/\r/g, '') });
    });
  });
}

const kv = (out: string, key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(out)?.[1];
const ENXIO = '6';
const EPERM = '1';

// ── the caller's terminal ─────────────────────────────

// Run under the caller's terminal: open the controlling terminal, which a process in the caller's
// session would share (and could then TIOCSTI into). Inherited terminal fds are covered by tty.test.ts.
const TTY_PROBE = String.raw`
$| = 1;
print "devtty=", (open(my $t, "+<", "/dev/tty") ? "OPENED" : $! + 0), "\n";
`;

test('setsid: an attached run and an exec have no controlling terminal: /dev/tty is refused', async () => {
  const name = uniqueName('tty');
  try {
    const r = await underTerminal(`node ${CLI} run --rm ${f.image} ${name} -- perl -e ${q(TTY_PROBE)}`);
    assert.is(r.code, 0, r.out);
    assert.is(kv(r.out, 'devtty'), ENXIO, `run: open("/dev/tty"): ${r.out}`);

    assert.is((await c('run', '-d', f.image, name, '--', 'sleep', 'infinity')).code, 0);
    const e = await underTerminal(`node ${CLI} exec ${name} -- perl -e ${q(TTY_PROBE)}`);
    assert.is(e.code, 0, e.out);
    assert.is(kv(e.out, 'devtty'), ENXIO, `exec: open("/dev/tty"): ${e.out}`);
  } finally {
    await stopQuiet(f.root, name);
  }
});

const setsidKill0SIGKILL =
  'setsid: kill(0, SIGKILL) from PID 1 of an attached run reaches only its own session, the CLI reports 137';
test(setsidKill0SIGKILL, async () => {
  const name = uniqueName('kill0');
  // PID 1 itself cannot be killed from inside its namespace; its child dies, proving the signal
  // went out, and PID 1 exits with what it saw. Before, the group was the CLI's: the CLI (and the
  // shell that reports its exit code) died with it.
  const probe =
    'my $c = fork // die; if (!$c) { sleep 30; exit 0 } kill "KILL", 0; ' +
    'waitpid($c, 0); exit(($? & 127) == 9 ? 137 : 1)';
  const r = await underTerminal(`node ${CLI} run --rm ${f.image} ${name} -- perl -e ${q(probe)}; echo cli-exit=$?`);
  assert.is(
    kv(r.out, 'cli-exit'),
    '137',
    `the CLI survived and reported the container's exit code: ${JSON.stringify(r.out)}`,
  );
  assert.not.ok(existsSync(statePaths(f.root).container(name)), 'the CLI lived on to remove the container (--rm)');
});

// ── the caller's environment ────────────────────────────

// Reads every /proc/*/environ it can, over and over (and the next few PIDs first: they are the
// processes about to start), and reports where it found the needle.
const ENV_WATCHER = String.raw`
my ($needle, $report, $stop) = @ARGV;
open(my $out, ">>", $report) or die; select($out); $| = 1;
my ($top, $n, $reads, %leak) = ($$, 0, 0);
sub look { my $p = shift; open(my $e, "<", "/proc/$p/environ") or return; local $/; my $s = <$e> // ""; $reads++;
  if (index($s, $needle) >= 0 && !$leak{$p}++) { my $cmd = "";
    if (open(my $c, "<", "/proc/$p/cmdline")) { $cmd = <$c> // "" } $cmd =~ tr/\0/ /; print "LEAK $p $cmd\n" } }
print "ready\n";
until (-e $stop) {
  if ($n++ % 32 == 0) { opendir(my $d, "/proc"); for my $p (grep { /^\d+$/ } readdir $d) { $top = $p if $p > $top;
    look($p) } closedir $d }
  for my $p ($top + 1 .. $top + 6) { next unless -e "/proc/$p"; $top = $p; look($p) }
}
print "summary reads=$reads leaks=", scalar(keys %leak), "\n";
sleep 3600; # PID 1 here: the container lives on for the report to be read
`;

test("the caller's environment reaches no process of the container, nor the chain that starts it", async () => {
  const name = uniqueName('env');
  const secret = `conductor-secret-${randomBytes(12).toString('hex')}`;
  const env = {
    ...f.env,
    CONDUCTOR_TEST_TOKEN: secret,
    SSH_AUTH_SOCK: `/tmp/${secret}.sock`,
    NODE_OPTIONS: '--no-deprecation',
  };
  const withSecret = (...args: string[]) => cli(env, args);
  try {
    // PID 1 is the watcher, started by a CLI holding the secret; then execs from such CLIs.
    const r = await withSecret(
      'run',
      '-d',
      f.image,
      name,
      '--',
      'perl',
      '-e',
      ENV_WATCHER,
      secret,
      '/tmp/env.report',
      '/tmp/env.stop',
    );
    assert.is(r.code, 0, r.stderr);
    const rec = JSON.parse(readFileSync(statePaths(f.root).record(name), 'utf8')) as ContainerRecord;
    // On the host: the monitor that outlives the CLI holds nothing of its environment.
    // (Only conductor's own launch tag, which stop's sweep looks for.)
    const monitorEnv = readFileSync(`/proc/${rec.monitor!.pid}/environ`, 'utf8');
    assert.match(monitorEnv, /^(CONDUCTOR_LAUNCH=[0-9a-f]{32}\0)?$/, "the monitor's environment");
    await until('the watcher', async () =>
      (await c('exec', name, '--', 'cat', '/tmp/env.report')).stdout.includes('ready'),
    );
    for (let i = 0; i < 20; i++) {
      const e = await withSecret('exec', name, '--', 'sh', '-c', 'cat /proc/self/environ >/dev/null');
      assert.is(e.code, 0, e.stderr);
    }
    const mine = await withSecret('exec', '-e', 'EXTRA=1', name, '--', 'cat', '/proc/self/environ');
    assert.equal(
      mine.stdout.split('\0').filter(Boolean).sort(),
      [
        `HOME=/root`,
        `HOSTNAME=${name}`,
        'EXTRA=1',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      ].sort(),
    );
    assert.is((await c('exec', name, '--', 'touch', '/tmp/env.stop')).code, 0);
    const report = await until("the watcher's summary", async () => {
      const out = (await c('exec', name, '--', 'cat', '/tmp/env.report')).stdout;
      return out.includes('summary') ? out : '';
    });
    process.stdout.write(`  environ watcher: ${/summary (.*)/.exec(report)![1]}\n`);
    assert.not.match(report, /^LEAK /m, `the caller's environment was visible inside:\n${report}`);
    assert.match(report, /reads=[1-9]/, 'the watcher did read environments');
    const attached = await cli(env, [
      'run',
      '--rm',
      f.image,
      uniqueName('env1'),
      '--',
      'cat',
      '/proc/self/environ',
      '/proc/1/environ',
    ]);
    assert.is(attached.code, 0, attached.stderr);
    assert.not.ok(attached.stdout.includes(secret), attached.stdout);
  } finally {
    await stopQuiet(f.root, name);
  }
});

// ── the caller's session keyring ───────────────────────────

// keyctl(2) through perl's syscall(): the serial of @s, then look for the caller's key in it and
// read it. x86_64: __NR_keyctl = 250; GET_KEYRING_ID 0, SEARCH 10, READ 11; @s = -3.
const KEY_PROBE = String.raw`
my $name = shift;
print "session=", syscall(250, 0, -3, 0), "\n";
my $type = "user"; my $id = syscall(250, 10, -3, $type, $name, 0);
if ($id > 0) { my $buf = "\0" x 256; my $n = syscall(250, 11, $id, $buf, 256);
  print "key=READ:", substr($buf, 0, $n), "\n" }
else { print "key=", $! + 0, "\n" }
`;

test("a fresh session keyring: the caller's keys cannot be found or read from run or exec", async () => {
  const name = uniqueName('key');
  const keyName = `conductor-test-${randomBytes(6).toString('hex')}`;
  const secret = randomBytes(12).toString('hex');
  const dir = mkdtempSync('/tmp/conductor-key-');
  const script = path.join(dir, 'probe.pl');
  writeFileSync(script, KEY_PROBE);
  try {
    // A session keyring of the caller's own (keyctl session), holding a secret key, as a login has.
    const line = [
      `keyctl add user ${keyName} ${secret} @s >/dev/null`,
      `perl ${script} ${keyName} | sed s/^/host-/`,
      // Unconfined: the default seccomp profile refuses keyctl outright (seccomp.test.ts); this is
      // the keyring join itself, which must hold without it.
      `node ${CLI} run --rm --security-opt seccomp=unconfined ${f.image} ${name}-r ` +
        `-- perl -e ${q(KEY_PROBE)} ${keyName} | sed s/^/run-/`,
      `node ${CLI} run -d --security-opt seccomp=unconfined ${f.image} ${name} -- sleep infinity >/dev/null`,
      `node ${CLI} exec ${name} -- perl -e ${q(KEY_PROBE)} ${keyName} | sed s/^/exec-/`,
    ].join(' && ');
    const r = await new Promise<Run>((resolve, reject) => {
      const child = spawn('keyctl', ['session', '-', 'sh', '-c', line], {
        env: f.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d));
      child.stderr!.on('data', (d: Buffer) => (out += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    assert.is(r.code, 0, r.out);
    assert.is(kv(r.out, 'host-key'), `READ:${secret}`, `the caller holds the key, else this proves nothing: ${r.out}`);
    const host = kv(r.out, 'host-session');
    for (const how of ['run', 'exec']) {
      assert.ok(Number(kv(r.out, `${how}-session`)) > 0, `${how}: has a session keyring: ${r.out}`);
      assert.is.not(kv(r.out, `${how}-session`), host, `${how}: the session keyring is not the caller's`);
      assert.not.ok(r.out.includes(`${how}-key=READ`), `${how}: read the caller's key: ${r.out}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await stopQuiet(f.root, name, `${name}-r`);
  }
});

// ── capabilities, ping, cgroups ───────────────────────────

const CAPS_PROBE = String.raw`
open(my $st, "<", "/proc/self/status"); while (<$st>) { print "$1=$2\n" if /^(Cap\w+):\s*(\S+)/ } close $st;
open(my $pg, "<", "/proc/sys/net/ipv4/ping_group_range"); my $r = <$pg>; chomp $r; $r =~ s/\s+/ /;
  print "ping_group_range=$r\n";
print "icmp_dgram=", (socket(my $i, 2, 2, 1) ? "ok" : $! + 0), "\n";
print "raw=", (socket(my $w, 2, 3, 1) ? "OPENED" : $! + 0), "\n";
open(my $cg, "<", "/proc/self/cgroup"); my @cg = <$cg>; chomp @cg; print "cgroup=", join(" ", @cg), "\n";
`;

function checkCaps(out: string, how: string): void {
  assert.is(kv(out, 'CapBnd'), DEFAULT_CAPBND, `${how}: CapBnd = podman's default`);
  assert.is(kv(out, 'CapEff'), DEFAULT_CAPBND, `${how}: CapEff`);
  assert.is(kv(out, 'CapInh'), '0000000000000000', `${how}: CapInh`);
  assert.is(kv(out, 'CapAmb'), '0000000000000000', `${how}: CapAmb`);
  assert.is(kv(out, 'ping_group_range'), '0 2147483647', `${how}: ping_group_range`);
  assert.is(kv(out, 'icmp_dgram'), 'ok', `${how}: an ICMP datagram socket (ping) without NET_RAW`);
  assert.is(kv(out, 'raw'), EPERM, `${how}: a raw socket needs NET_RAW`);
  // Every hierarchy, v1 and v2, rooted at the container's own cgroup: no path out to the host's.
  const lines = (kv(out, 'cgroup') ?? '').split(' ');
  assert.ok(
    lines.length >= 1 && lines.every((l) => /^\d+:[^:]*:\/$/.test(l)),
    `${how}: /proc/self/cgroup ${lines.join(' ')}`,
  );
}

const podmanSDefaultCapabilities =
  'podman\'s default capabilities, nothing inheritable or ambient; ping without NET_RAW; cgroups seen as "/"';
test(podmanSDefaultCapabilities, async () => {
  const name = uniqueName('caps');
  const hostRange = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8');
  try {
    const r = await c('run', '--rm', f.image, `${name}-r`, '--', 'perl', '-e', CAPS_PROBE);
    assert.is(r.code, 0, r.stderr);
    checkCaps(r.stdout, 'run');
    assert.is((await c('run', '-d', f.image, name, '--', 'sleep', 'infinity')).code, 0);
    const e = await c('exec', name, '--', 'perl', '-e', CAPS_PROBE);
    assert.is(e.code, 0, e.stderr);
    checkCaps(e.stdout, 'exec');
    const add = await c('run', '--rm', '--cap-add', 'NET_RAW', f.image, `${name}-a`, '--', 'perl', '-e', CAPS_PROBE);
    assert.is(kv(add.stdout, 'raw'), 'OPENED', `--cap-add NET_RAW adds it back: ${add.stdout}`);
    // A build step runs on the host's network: it must leave the host's ping_group_range alone.
    const ctx = mkdtempSync('/tmp/conductor-ping-');
    try {
      writeFileSync(
        path.join(ctx, 'Conductorfile'),
        'FROM debian:bookworm\nRUN cat /proc/sys/net/ipv4/ping_group_range > /ping-range\n',
      );
      await buildImage(uniqueName('pingimg'), {
        file: path.join(ctx, 'Conductorfile'),
        context: ctx,
        root: f.root,
        log: silentLogger(),
        noCache: true,
      });
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
    assert.is(
      readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8'),
      hostRange,
      "the host's ping_group_range is unchanged",
    );
  } finally {
    await stopQuiet(f.root, name, `${name}-r`, `${name}-a`);
  }
});

test.run();
