// Root integration tests of the seccomp filter: container root tries the syscalls Docker's default
// profile keeps from it (a user namespace, keyrings, bpf, userfaultfd, perf, io_uring, kexec,
// open_by_handle_at) through run, exec and a build's RUN step. Every attack is also run unconfined
// in the same file, proving it reaches the kernel when the filter is not there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, buildCli, makeFixture, rejectsWith, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { buildImage, exec, run, type RunOptions, silentLogger } from '../../sdk/index.ts';
import { DISTRO_PROFILE, type ContainerRecord } from '../helpers/internals.ts';
import { statePaths } from '../helpers/state-paths.ts';

const f = await makeFixture('sec');
const root = f.root;
const scratch = mkdtempSync('/tmp/conductor-seccomp-test-');
buildCli();

test.after(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await f.cleanup();
});

// Raw syscall numbers (perl's syscall() is in every minbase; syscall.ph is not).
const NR: Record<string, Record<string, number>> = {
  x64: {
    add_key: 248,
    keyctl: 250,
    bpf: 321,
    userfaultfd: 323,
    perf_event_open: 298,
    io_uring_setup: 425,
    kexec_load: 246,
    open_by_handle_at: 304,
  },
  arm64: {
    add_key: 217,
    keyctl: 219,
    bpf: 280,
    userfaultfd: 282,
    perf_event_open: 241,
    io_uring_setup: 425,
    kexec_load: 104,
    open_by_handle_at: 265,
  },
};
const nr = NR[process.arch];
if (!nr) throw new Error(`no syscall table for ${process.arch} in this test`);

// Arguments chosen so each call is harmless where it gets through: add_key with a NULL type
// (EFAULT), keyctl(GET_KEYRING_ID, session, create=0) reads an id, bpf with an unknown command,
// userfaultfd(UFFD_USER_MODE_ONLY) just makes an fd. Prints name=ok or name=ERRNO.
const PROBE = String.raw`
use Errno;
my %nr = (${Object.entries(nr)
  .map(([k, v]) => `${k} => ${v}`)
  .join(', ')});
my %args = (add_key => [0, 0, 0, 0, 0], keyctl => [0, -3, 0], bpf => [9999, 0, 0], userfaultfd => [1],
            perf_event_open => [0, 0, -1, -1, 0], io_uring_setup => [1, 0], kexec_load => [0, 0, 0, 0],
            open_by_handle_at => [-1, 0, 0]);
$| = 1;
open(my $st, "<", "/proc/self/status"); while (<$st>) { print "Seccomp=$1\n" if /^Seccomp:\s*(\d+)/ } close $st;
for my $n (sort keys %nr) { $! = 0; my $r = syscall($nr{$n}, @{$args{$n}}); my ($e) = grep { $!{$_} } keys %!;
  print "$n=", ($r == -1 ? $e : "ok"), "\n"; }
my $u = system("unshare -Ur true 2>/tmp/unshare.err"); open(my $ue, "<", "/tmp/unshare.err"); my $err = <$ue> // "";
  chomp $err;
print "unshare=", ($u == 0 ? "ok" : "failed: $err"), "\n";
`;

type Probe = Record<string, string>;
const parse = (out: string): Probe =>
  Object.fromEntries(
    out
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

const readRecord = (name: string) => JSON.parse(readFileSync(statePaths(root).record(name), 'utf8')) as ContainerRecord;

async function probeRunAndExec(label: string, opts: Partial<RunOptions>): Promise<{ run: Probe; exec: Probe }> {
  const name = uniqueName(label);
  try {
    const r = await run(f.image, `${name}-r`, {
      root,
      rm: true,
      output: 'collect',
      command: ['perl', '-e', PROBE],
      ...opts,
    });
    await run(f.image, name, { root, detach: true, command: ['sleep', 'infinity'], ...opts });
    const e = await exec(name, ['perl', '-e', PROBE], { root });
    return { run: parse(r.stdout ?? ''), exec: parse(e.stdout) };
  } finally {
    await stopQuiet(root, name, `${name}-r`);
  }
}

const ATTACKS = [...Object.keys(nr)].sort();

test('the default filter is on in run and exec, and denies every probed syscall with EPERM', async () => {
  const p = await probeRunAndExec('scdef', {});
  for (const [how, r] of Object.entries(p)) {
    assert.is(r.Seccomp, '2', `${how}: Seccomp (${JSON.stringify(r)})`);
    for (const a of ATTACKS) assert.is(r[a], 'EPERM', `${how}: ${a}`);
    assert.match(r.unshare!, /^failed: .*Operation not permitted/, `${how}: unshare -Ur`);
  }
});

test('control: unconfined, the same probes reach the kernel (so the test above measures the filter)', async () => {
  const p = await probeRunAndExec('scunc', {
    security: { privileged: false, capAdd: [], capDrop: [], seccomp: 'unconfined' },
  });
  for (const [how, r] of Object.entries(p)) {
    assert.is(r.Seccomp, '0', `${how}: Seccomp`);
    assert.is(r.unshare, 'ok', `${how}: unshare -Ur succeeds without a filter`);
    assert.is(r.keyctl, 'ok', `${how}: keyctl`);
    assert.is(r.userfaultfd, 'ok', `${how}: userfaultfd`);
    for (const a of ['add_key', 'bpf', 'io_uring_setup', 'open_by_handle_at', 'perf_event_open'])
      assert.is.not(r[a], 'EPERM', `${how}: ${a} gets past seccomp`);
  }
});

test('--privileged is unconfined too (Docker)', async () => {
  const p = await probeRunAndExec('scpriv', { security: { privileged: true, capAdd: [], capDrop: [] } });
  assert.is(p.run.Seccomp, '0');
  assert.is(p.exec.Seccomp, '0');
});

test('the filter follows the capabilities: CAP_SYS_ADMIN gets unshare back, as in Docker', async () => {
  const p = await probeRunAndExec('scadm', { security: { privileged: false, capAdd: ['SYS_ADMIN'], capDrop: [] } });
  for (const [how, r] of Object.entries(p)) {
    assert.is(r.Seccomp, '2', `${how}: Seccomp`);
    assert.is(r.unshare, 'ok', `${how}: unshare -Ur with CAP_SYS_ADMIN`);
    assert.is(r.keyctl, 'EPERM', `${how}: keyctl is never allowed`);
  }
});

test('a build RUN step runs under the filter', async () => {
  const ctx = path.join(scratch, 'build');
  const image = uniqueName('scbimg');
  const name = uniqueName('scb');
  mkdirSync(ctx);
  writeFileSync(
    path.join(ctx, 'Conductorfile'),
    `FROM debian:bookworm\nCOPY probe.pl /probe.pl\nRUN perl /probe.pl > /build-probe\n`,
  );
  writeFileSync(path.join(ctx, 'probe.pl'), PROBE);
  await buildImage(image, { file: path.join(ctx, 'Conductorfile'), context: ctx, root, log: silentLogger() });
  try {
    const r = await run(image, name, {
      root,
      rm: true,
      output: 'collect',
      command: ['cat', '/build-probe'],
      security: { privileged: false, capAdd: [], capDrop: [], seccomp: 'unconfined' },
    });
    const p = parse(r.stdout ?? '');
    assert.is(p.Seccomp, '2', `RUN: Seccomp (${r.stdout})`);
    for (const a of ATTACKS) assert.is(p[a], 'EPERM', `RUN: ${a}`);
    assert.match(p.unshare!, /Operation not permitted/, 'RUN: unshare -Ur');
  } finally {
    await stopQuiet(root, name);
  }
});

function profileDenyingMkdir(file: string): void {
  const p = JSON.parse(readFileSync(DISTRO_PROFILE, 'utf8')) as { syscalls: unknown[] };
  p.syscalls.unshift({ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 });
  writeFileSync(file, JSON.stringify(p));
}

const aProfileFileIs =
  'a profile file is loaded, recorded, and the exec of that container gets the same filter even after the file changes';
test(aProfileFileIs, async () => {
  const file = path.join(scratch, 'nomkdir.json');
  profileDenyingMkdir(file);
  const name = uniqueName('scfile');
  const dflt = uniqueName('scmk');
  const mk = ['sh', '-c', 'mkdir /tmp/d 2>&1; echo "rc=$?"'];
  try {
    const r = await run(f.image, `${name}-r`, {
      root,
      rm: true,
      output: 'collect',
      command: mk,
      security: { privileged: false, capAdd: [], capDrop: [], seccomp: { profile: file } },
    });
    assert.match(r.stdout ?? '', /Permission denied\nrc=1/, `run: ${r.stdout}`);
    await run(f.image, name, {
      root,
      detach: true,
      command: ['sleep', 'infinity'],
      security: { privileged: false, capAdd: [], capDrop: [], seccomp: { profile: file } },
    });
    assert.equal(readRecord(name).security.seccomp, { profile: file });
    rmSync(file); // exec must not depend on the file any more
    const e = await exec(name, mk, { root });
    assert.match(e.stdout, /Permission denied\nrc=1/, `exec: ${e.stdout}`);
    // Control: the default profile lets mkdir through.
    const ok = await run(f.image, dflt, { root, rm: true, output: 'collect', command: mk });
    assert.is(ok.stdout, 'rc=0\n');
  } finally {
    await stopQuiet(root, name, `${name}-r`, dflt);
  }
});

test('bad profiles are refused with one line naming the file, and nothing is created', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['badjson.json', '{"defaultAction": ', /not valid JSON/],
    [
      'badname.json',
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdri"],"action":"SCMP_ACT_ERRNO"}]}',
      /unknown syscall "mkdri"/,
    ],
    [
      'badaction.json',
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_DENY"}]}',
      /unknown action "SCMP_ACT_DENY"/,
    ],
    [
      'badfield.json',
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"nmes":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}',
      /unknown field "nmes"/,
    ],
  ];
  const before = readdirSync(statePaths(root).containers);
  for (const [base, text, why] of cases) {
    const file = path.join(scratch, base);
    writeFileSync(file, text);
    const name = uniqueName('scbad');
    const marker = path.join(scratch, `ran-${base}`);
    const err = await rejectsWith(
      run(f.image, name, {
        root,
        output: 'collect',
        command: ['touch', marker],
        security: { privileged: false, capAdd: [], capDrop: [], seccomp: { profile: file } },
      }),
      'PARSE_ERROR',
      base,
    );
    assert.match(err.message, new RegExp(`^seccomp profile "${file.replace(/[.]/g, '\\.')}": `), err.message);
    assert.match(err.message, why);
    assert.not.match(err.message, /\n/);
    assert.not.ok(existsSync(marker), `${base}: the command never ran`);
    assert.not.ok(existsSync(statePaths(root).container(name)), `${base}: no container directory`);
    // The CLI: exit 125, one line on stderr.
    const c = await cli(f.env, [
      'run',
      '--rm',
      '--security-opt',
      `seccomp=${file}`,
      f.image,
      uniqueName('scbadc'),
      '--',
      'touch',
      marker,
    ]);
    assert.is(c.code, 125, c.stderr);
    assert.is(c.stderr.trim().split('\n').length, 1, c.stderr);
    assert.match(c.stderr, why);
  }
  assert.equal(readdirSync(statePaths(root).containers), before);
  const c = await cli(f.env, [
    'run',
    '--rm',
    '--security-opt',
    'apparmor=x',
    f.image,
    uniqueName('scopt'),
    '--',
    'true',
  ]);
  assert.is(c.code, 2, c.stderr);
  assert.match(c.stderr, /unsupported security option "apparmor=x"/);
});

test('CLI: --security-opt seccomp=unconfined turns the filter off', async () => {
  const on = await cli(f.env, [
    'run',
    '--rm',
    f.image,
    uniqueName('sccli'),
    '--',
    'grep',
    '^Seccomp:',
    '/proc/self/status',
  ]);
  const off = await cli(f.env, [
    'run',
    '--rm',
    '--security-opt',
    'seccomp=unconfined',
    f.image,
    uniqueName('sccli'),
    '--',
    'grep',
    '^Seccomp:',
    '/proc/self/status',
  ]);
  assert.is(on.stdout, 'Seccomp:\t2\n', on.stderr);
  assert.is(off.stdout, 'Seccomp:\t0\n', off.stderr);
});

test.run();
