// Root integration tests of isolation against a hostile container: the same probe runs as a
// container's command and through exec, trying to reach the host's files, devices, mounts, kernel
// knobs and capabilities. Limits are checked from the host. A marker file on the HOST root proves
// what the container cannot read.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_CAPBND,
  makeFixture,
  processesMentioning,
  rejectsWith,
  sleep,
  statusField,
  stopQuiet,
  until,
} from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { exec, inspect, ps, run, stop, type RunOptions } from '../../sdk/index.ts';
import { type ContainerRecord } from '../helpers/internals.ts';
import { statePaths } from '../helpers/state-paths.ts';

const f = await makeFixture('iso');
const root = f.root;
const MARKER = `/HOST_MARKER_${randomBytes(8).toString('hex')}`;
const SECRET = `secret-${randomBytes(16).toString('hex')}`;
writeFileSync(MARKER, SECRET + '\n', { mode: 0o644 });

test.after(async () => {
  rmSync(MARKER, { force: true });
  await f.cleanup();
});

const readState = (name: string) => JSON.parse(readFileSync(statePaths(root).record(name), 'utf8')) as ContainerRecord;

/**
 * Host devices the host itself can open (O_NONBLOCK, never a device whose open has effects), as
 * `type:major:minor`: if a container could mknod and open one of these, it would reach the host.
 */
function hostOpenableDevices(): string[] {
  const candidates: Array<[string, string]> = [];
  const rootDev = statSync('/').dev;
  // The disk holding / (stat's dev is the kernel's encoded major/minor).
  candidates.push(['block', `${(rootDev >>> 8) & 0xfff}:${(rootDev & 0xff) | ((rootDev >>> 12) & 0xfff00)}`]);
  for (const c of ['7:0', '8:0', '253:0', '254:0', '259:0']) candidates.push(['block', c]);
  for (const c of ['1:1', '1:11', '10:232', '10:237', '10:259', '10:229']) candidates.push(['char', c]);
  const out = new Set<string>();
  for (const [kind, mm] of candidates) {
    let name: string | undefined;
    try {
      name = /^DEVNAME=(.*)$/m.exec(readFileSync(`/sys/dev/${kind}/${mm}/uevent`, 'utf8'))?.[1];
    } catch {
      continue;
    }
    if (!name) continue;
    try {
      const fd = openSync(`/dev/${name}`, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      closeSync(fd);
      out.add(`${kind === 'block' ? 'b' : 'c'}:${mm}`);
    } catch {
      /* the host cannot open it either: proves nothing */
    }
  }
  return [...out];
}
const DEVICES = hostOpenableDevices();

// The probe: perl (perl-base is in every Debian minbase), argv = marker path, then devices.
// Prints key=value lines. Everything it tries is contained to its own namespaces if it works.
const PROBE =
  String.raw`
use Fcntl;
my ($m, @devs) = @ARGV;
$| = 1;
sub kv { my ($k, $v) = @_; $v = '' unless defined $v; $v =~ s/\n/\\n/g; print "$k=$v\n" }
opendir(my $fdd, "/proc/self/fd"); kv("fds", join(",", sort { $a <=> $b } grep { /^\d+$/ } readdir $fdd));
  closedir $fdd;
kv("cwd", readlink("/proc/self/cwd"));
open(my $st, "<", "/proc/self/status"); while (<$st>) { kv($1, $2) if /^(CapBnd|CapEff|NoNewPrivs):\s*(\S+)/ }
  close $st;
sub slurp { my $p = shift; open(my $h, "<", $p) or return "no"; my $l = <$h>; return "READ:" . (defined $l ? $l : "") }
sub names { my $p = shift; opendir(my $d, $p) or return ""; return join(",", grep { /HOST_MARKER/ } readdir $d) }
kv("marker_direct", slurp($m));
kv("marker_proc1root", slurp("/proc/1/root$m"));
kv("marker_procselfroot", slurp("/proc/self/root/../../..$m"));
my $pid = fork();
if ($pid == 0) {
  mkdir "/esc"; my $c = chroot("/esc") ? 1 : 0;
  chdir ".." for 1..64; chroot ".";
  kv("chroot_escape", slurp($m) . " chroot=$c found=" . names("/")); exit 0;
}
waitpid($pid, 0);
my $found = ` +
  '`find / -xdev -name "HOST_MARKER*" 2>/dev/null`' +
  String.raw`; kv("find", $found);
kv("hostdevs", join(",", grep { -e $_ } map { glob $_ }
  qw(/dev/vd* /dev/sd* /dev/hd* /dev/xvd* /dev/nvme* /dev/loop*
     /dev/mem /dev/kmem /dev/port /dev/kmsg /dev/kvm /dev/console)));
opendir(my $dd, "/dev"); kv("dev", join(",", sort grep { !/^\.\.?$/ } readdir $dd)); closedir $dd;
for my $d (@devs) {
  my ($t, $maj, $min) = split /:/, $d;
  for my $dir ("/tmp", "/root", "/dev", "/dev/shm", "/run") {
    my $p = "$dir/probe-$t-$maj-$min";
    unlink $p;
    my $made = mknod_($p, $t, $maj, $min);
    my $o = !$made ? "nomknod" : sysopen(my $h, $p, O_RDONLY | O_NONBLOCK | O_NOCTTY) ? "OPENED" : "denied";
    unlink $p;
    kv("dev:$d:$dir", $o);
  }
}
sub mknod_ { system("mknod", @_[0..3]) ; return $? == 0 }
for my $t (["tmpfs", "mount -t tmpfs x /mnt"], ["cgroup", "mount -t cgroup -o memory cgroup /mnt"],
           ["cgroup2", "mount -t cgroup2 none /mnt"], ["proc", "mount -t proc proc /mnt"],
           ["bind", "mount --bind / /mnt"], ["remount_sys", "mount -o remount,rw /sys"],
           ["umount_hosts", "umount /etc/hosts"], ["umount_proc_sys", "umount /proc/sys"]) {
  system("$t->[1] >/dev/null 2>&1"); kv("mount_$t->[0]", $? == 0 ? "MOUNTED" : "refused");
}
open(my $mi, "<", "/proc/self/mountinfo"); my @mi = <$mi>; close $mi;
kv("mnt_in_mountinfo", scalar(grep { (split / /)[4] eq "/mnt" } @mi));
kv("sys_mount", join(" ", map { (split / /)[5] } grep { (split / /)[4] eq "/sys" } @mi));
# Opened for writing, never written: the probe must stay harmless even where a protection fails.
sub writable { my $p = shift; return "absent" unless -e $p;
  return sysopen(my $h, $p, O_WRONLY) ? "WRITABLE" : "refused" }
kv("sysrq", writable("/proc/sysrq-trigger"));
kv("proc_hostname", writable("/proc/sys/kernel/hostname"));
kv("proc_core_pattern", writable("/proc/sys/kernel/core_pattern"));
kv("kcore", -e "/proc/kcore" ? do { open(my $k, "<", "/proc/kcore"); my $b = ""; sysread($k, $b, 64) // 0;
  length $b } : "absent");
kv("keys", -e "/proc/keys" ? do { local $/; open(my $k, "<", "/proc/keys"); length(<$k> // "") } : "absent");
kv("sys_touch", open(my $sx, ">", "/sys/x") ? "WROTE" : "refused");
kv("sys_uevent_helper", writable("/sys/kernel/uevent_helper"));
kv("sethostname", system("hostname pwned >/dev/null 2>&1") == 0 ? "CHANGED" : "refused");
socket(my $sk, 2, 2, 0) or die "socket: $!";
my $ifr = pack("a16 s x22", "lo", 0);
if (ioctl($sk, 0x8913, $ifr)) {
  my $fl = unpack("x16 s", $ifr);
  kv("netadmin", ioctl($sk, 0x8914, pack("a16 s x22", "lo", $fl)) ? "ALLOWED" : "denied");
} else { kv("netadmin", "getflags failed: $!") }
`;

type Probe = Record<string, string>;

function parseProbe(out: string): Probe {
  const r: Probe = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) r[line.slice(0, i)] = line.slice(i + 1);
  }
  return r;
}

const hasBit = (hex: string, bit: number) => ((BigInt(`0x${hex}`) >> BigInt(bit)) & 1n) === 1n;
const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;

/** What must hold for the probe of an unprivileged container, from run or exec. */
function checkProbe(p: Probe, how: string, cwd: string): void {
  const ctx = (k: string) => `${how}: ${k}=${p[k]}`;
  assert.ok(p.netadmin !== undefined, `${how}: the probe ran to the end (${JSON.stringify(p)})`);
  assert.is(p.fds, '0,1,2,3', ctx('fds'));
  assert.is(p.cwd, cwd, ctx('cwd'));
  assert.is(p.CapBnd, DEFAULT_CAPBND, ctx('CapBnd'));
  assert.is(p.CapEff, DEFAULT_CAPBND, ctx('CapEff'));
  assert.is(p.NoNewPrivs, '1', ctx('NoNewPrivs'));
  assert.not.ok(hasBit(p.CapEff!, CAP_NET_ADMIN), ctx('CapEff has no CAP_NET_ADMIN'));
  assert.not.ok(hasBit(p.CapBnd!, CAP_SYS_ADMIN), ctx('CapBnd has no CAP_SYS_ADMIN'));
  for (const k of Object.keys(p)) assert.not.ok(p[k]!.includes(SECRET), `${how}: the host marker leaked through ${k}`);
  assert.is(p.marker_direct, 'no', ctx('marker_direct'));
  assert.is(p.marker_proc1root, 'no', ctx('marker_proc1root'));
  assert.is(p.marker_procselfroot, 'no', ctx('marker_procselfroot'));
  assert.match(
    p.chroot_escape ?? '',
    /^no chroot=1 found=$/,
    ctx('chroot_escape (chroot itself must work: CAP_SYS_CHROOT)'),
  );
  assert.is(p.find, '', ctx('find'));
  assert.is(p.hostdevs, '', ctx('hostdevs'));
  assert.is(p.dev, 'fd,full,mqueue,null,ptmx,pts,random,shm,stderr,stdin,stdout,tty,urandom,zero', ctx('dev'));
  for (const d of DEVICES) {
    for (const dir of ['/tmp', '/root', '/dev', '/dev/shm', '/run']) {
      const v = p[`dev:${d}:${dir}`];
      assert.ok(v === 'denied' || v === 'nomknod', `${how}: mknod ${d} in ${dir} → ${v}: a host device is reachable`);
    }
  }
  for (const t of ['tmpfs', 'cgroup', 'cgroup2', 'proc', 'bind', 'remount_sys', 'umount_hosts', 'umount_proc_sys'])
    assert.is(p[`mount_${t}`], 'refused', ctx(`mount_${t}`));
  assert.is(p.mnt_in_mountinfo, '0', ctx('mnt_in_mountinfo'));
  assert.match(p.sys_mount ?? '', /^ro(,|$)/, ctx('sys_mount'));
  assert.ok(p.sysrq === 'absent' || p.sysrq === 'refused', ctx('sysrq'));
  assert.is(p.proc_hostname, 'refused', ctx('proc_hostname'));
  assert.is(p.proc_core_pattern, 'refused', ctx('proc_core_pattern'));
  assert.ok(p.kcore === 'absent' || p.kcore === '0', ctx('kcore'));
  assert.ok(p.keys === 'absent' || p.keys === '0', ctx('keys'));
  assert.is(p.sys_touch, 'refused', ctx('sys_touch'));
  assert.ok(p.sys_uevent_helper === 'absent' || p.sys_uevent_helper === 'refused', ctx('sys_uevent_helper'));
  assert.is(p.sethostname, 'refused', ctx('sethostname'));
  assert.is(p.netadmin, 'denied', ctx('netadmin'));
}

const probeArgv = () => ['perl', '-e', PROBE, MARKER, ...DEVICES];

test('the host can open some device a container must not reach (else the mknod checks prove nothing)', () => {
  process.stdout.write(`  host-openable devices probed: ${DEVICES.join(' ') || 'none'}\n`);
  assert.ok(DEVICES.length > 0, 'no host device to probe with');
});

test('run: a hostile command reaches no host file, device, mount, kernel knob or capability', async () => {
  const name = uniqueName('prun');
  const hostHostname = readFileSync('/proc/sys/kernel/hostname', 'utf8');
  try {
    const c = await run(f.image, name, { root, command: probeArgv(), output: 'collect' });
    assert.is(c.exitCode, 0, c.stderr);
    checkProbe(parseProbe(c.stdout ?? ''), 'run', '/');
    assert.is(readFileSync('/proc/sys/kernel/hostname', 'utf8'), hostHostname, 'the host hostname is unchanged');
    assert.is(readFileSync(MARKER, 'utf8'), `${SECRET}\n`);
  } finally {
    await stopQuiet(root, name);
  }
});

test('exec: the same probe, from a process entering a running container', async () => {
  const name = uniqueName('pexec');
  try {
    await run(f.image, name, { root, command: ['sleep', 'infinity'], detach: true, workdir: '/srv/work' });
    const r = await exec(name, probeArgv(), { root });
    assert.is(r.exitCode, 0, r.stderr);
    checkProbe(parseProbe(r.stdout), 'exec', '/srv/work');
    const w = await exec(name, ['readlink', '/proc/self/cwd'], { root, workdir: '/tmp' });
    assert.is(w.stdout, '/tmp\n');
    // A workdir that would point back at the host through a leaked fd (CVE-2024-21626) is refused.
    for (const wd of ['/proc/self/fd/3', '/proc/self/fd/4', '/proc/self/fd/5']) {
      const x = await exec(name, ['readlink', '/proc/self/cwd'], { root, workdir: wd });
      assert.ok(
        x.exitCode !== 0 || (!x.stdout.startsWith(root) && !x.stdout.startsWith('/work')),
        `workdir ${wd} → ${x.stdout}`,
      );
      assert.not.ok(x.stdout.includes(root) || x.stdout.includes(f.image), `workdir ${wd} → ${x.stdout}`);
    }
  } finally {
    await stopQuiet(root, name);
  }
});

// ── limits ──────────────────────────────────

test('--memory 64m: allocating 200 MB is OOM-killed (137, oomKilled)', async () => {
  const name = uniqueName('oom');
  try {
    const c = await run(f.image, name, {
      root,
      output: 'collect',
      limits: { memory: 64 * 1024 * 1024 },
      command: ['perl', '-e', 'my $x = "x" x (200*1024*1024); print "survived\\n"'],
    });
    assert.is(c.exitCode, 137, `exit ${c.exitCode} ${c.stderr}`);
    assert.is(c.oomKilled, true);
    assert.not.match(c.stdout ?? '', /survived/);
    assert.is((await inspect(name, { root })).oomKilled, true);
    const s = await stop(name, { root });
    assert.is(s.oomKilled, true);
    // Under the limit, the same kind of allocation is fine.
    const ok = await run(f.image, uniqueName('oomok'), {
      root,
      output: 'collect',
      rm: true,
      limits: { memory: 64 * 1024 * 1024 },
      command: ['perl', '-e', 'my $x = "x" x (16*1024*1024); print "ok\\n"'],
    });
    assert.is(ok.exitCode, 0);
    assert.is(ok.oomKilled, false);
  } finally {
    await stopQuiet(root, name);
  }
});

test('--pids-limit 32: forks fail inside, the host can still fork', async () => {
  const name = uniqueName('pids');
  const script =
    'my ($f, @k) = (0); for (1..100) { my $p = fork; if (!defined $p) { $f++ } elsif ($p == 0) { sleep 30; ' +
    'exit 0 } else { push @k, $p } } print "failed=$f ok=", scalar(@k), "\\n"; kill 9, @k; ' +
    'waitpid($_, 0) for @k;';
  try {
    await run(f.image, name, { root, detach: true, limits: { pids: 32 }, command: ['sleep', 'infinity'] });
    const r = await exec(name, ['perl', '-e', script], { root });
    assert.is(r.exitCode, 0, r.stderr);
    const m = /failed=(\d+) ok=(\d+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m![2]) < 32, `forks that succeeded: ${m![2]}`);
    assert.ok(Number(m![1]) >= 68, `forks that failed: ${m![1]}`);
    assert.is(spawnSync('true').status, 0, 'the host forks');
    const info = await inspect(name, { root });
    assert.is(info.limits.pids, 32);
  } finally {
    await stopQuiet(root, name);
  }
});

/** CPU seconds (utime+stime) of a host PID. */
function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f2 = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f2[11]) + Number(f2[12]); // fields 14 and 15
}

test('--cpus 0.5: a busy loop gets at most ~half a core; limits in inspect and ps', async () => {
  const name = uniqueName('cpu');
  const limits = { cpus: 0.5, memory: 128 * 1024 * 1024, pids: 50 };
  try {
    const c = await run(f.image, name, { root, detach: true, limits, command: ['perl', '-e', '1 while 1'] });
    const pid = c.pid!;
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
    await sleep(300); // let the CFS quota period settle
    const t0 = Date.now();
    const a = cpuTicks(pid);
    await sleep(2000);
    const b = cpuTicks(pid);
    const cores = (b - a) / hz / ((Date.now() - t0) / 1000);
    process.stdout.write(`  --cpus 0.5: busy loop used ${cores.toFixed(2)} cores\n`);
    assert.ok(cores <= 0.6, `used ${cores.toFixed(2)} cores`);
    assert.ok(cores >= 0.2, `the loop ran at all: ${cores.toFixed(2)} cores`);
    const info = await inspect(name, { root });
    assert.equal(info.limits, limits);
    const listed = (await ps({ root })).find((x) => x.name === name);
    assert.equal(listed?.limits, limits);
  } finally {
    await stopQuiet(root, name);
  }
});

test("exec'd processes join the container's cgroups; the cgroups are removed on stop", async () => {
  const name = uniqueName('cgj');
  const token = String(700_000 + Math.floor(Math.random() * 99_999));
  try {
    await run(f.image, name, {
      root,
      detach: true,
      limits: { memory: 128 * 1024 * 1024, pids: 50 },
      command: ['sleep', 'infinity'],
    });
    const dirs = readState(name).cgroups;
    assert.ok(dirs.length >= 1, 'the container has cgroups');
    for (const d of dirs) assert.ok(existsSync(d), d);
    await exec(name, ['sleep', token], { root, detach: true });
    const found = await until(
      "the exec'd sleep on the host",
      () => processesMentioning(`sleep ${token}`).find((p) => p.cmdline === `sleep ${token}`),
      5000,
    );
    const cg = readFileSync(`/proc/${found.pid}/cgroup`, 'utf8');
    for (const d of dirs) {
      const procs = readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n');
      assert.ok(procs.includes(String(found.pid)), `exec'd pid ${found.pid} in ${d}/cgroup.procs`);
      assert.ok(cg.includes(`/conductor/${path.basename(d)}`), `/proc/${found.pid}/cgroup names ${d}:\n${cg}`);
    }
    await stop(name, { root, timeoutSeconds: 0 });
    assert.not.ok(
      existsSync(`/proc/${found.pid}`) && readFileSync(`/proc/${found.pid}/cmdline`, 'utf8').includes(token),
      "the exec'd process died with the container",
    );
    for (const d of dirs) assert.not.ok(existsSync(d), `cgroup ${d} removed`);
  } finally {
    await stopQuiet(root, name);
  }
});

// ── capabilities ────────────────────────────────

async function capsOf(name: string, opts: Partial<RunOptions>): Promise<{ run: Probe; exec: Probe }> {
  const cmd = 'grep -E "^(CapBnd|CapEff|NoNewPrivs):" /proc/self/status | tr -d "\\t" | tr ":" "="';
  await run(f.image, name, { root, detach: true, command: ['sleep', 'infinity'], ...opts });
  const r = await run(f.image, `${name}-r`, { root, rm: true, output: 'collect', command: ['sh', '-c', cmd], ...opts });
  const e = await exec(name, ['sh', '-c', cmd], { root });
  return { run: parseProbe(r.stdout ?? ''), exec: parseProbe(e.stdout) };
}

test('--cap-add / --cap-drop / --privileged change the bounding set, in run and exec alike', async () => {
  const hostBnd = statusField(process.pid, 'CapBnd')!;
  const names: string[] = [];
  const name = (p: string) => {
    const n = uniqueName(p);
    names.push(n, `${n}-r`);
    return n;
  };
  const hex = (v: bigint) => v.toString(16).padStart(16, '0');
  const dflt = BigInt(`0x${DEFAULT_CAPBND}`);
  try {
    const cases: Array<[string, Partial<RunOptions>, string, string]> = [
      ['default', {}, DEFAULT_CAPBND, '1'],
      ['add', { security: { privileged: false, capAdd: ['NET_ADMIN'], capDrop: [] } }, hex(dflt | (1n << 12n)), '1'],
      [
        'drop',
        { security: { privileged: false, capAdd: [], capDrop: ['CAP_CHOWN', 'mknod'] } },
        hex(dflt & ~1n & ~(1n << 27n)),
        '1',
      ],
      ['dropall', { security: { privileged: false, capAdd: [], capDrop: ['ALL'] } }, '0000000000000000', '1'],
      ['priv', { security: { privileged: true, capAdd: [], capDrop: [] } }, hostBnd, '0'],
    ];
    for (const [label, opts, bnd, nnp] of cases) {
      const r = await capsOf(name(`cap${label}`), opts);
      for (const [how, p] of Object.entries(r)) {
        assert.is(p.CapBnd, bnd, `${label} ${how}: CapBnd`);
        assert.is(p.CapEff, bnd, `${label} ${how}: CapEff`);
        assert.is(p.NoNewPrivs, nnp, `${label} ${how}: NoNewPrivs`);
      }
    }
    // The capabilities act: NET_ADMIN lets an ioctl through that the default set refuses; a dropped CHOWN refuses
    // chown.
    const netadmin =
      'socket(my $s, 2, 2, 0); my $i = pack("a16 s x22", "lo", 0); ioctl($s, 0x8913, $i) or die; ' +
      'print ioctl($s, 0x8914, $i) ? "ALLOWED" : "denied"';
    const add = await exec(names[2]!, ['perl', '-e', netadmin], { root });
    assert.is(add.stdout, 'ALLOWED', add.stderr);
    const dflt2 = await exec(names[0]!, ['perl', '-e', netadmin], { root });
    assert.is(dflt2.stdout, 'denied', dflt2.stderr);
    const chown = await exec(names[4]!, ['sh', '-c', 'touch /tmp/c && chown 65534 /tmp/c'], { root });
    assert.is.not(chown.exitCode, 0, 'chown without CAP_CHOWN');
    const chownOk = await exec(names[0]!, ['sh', '-c', 'touch /tmp/c && chown 65534 /tmp/c'], { root });
    assert.is(chownOk.exitCode, 0, chownOk.stderr);
  } finally {
    await stopQuiet(root, ...names);
  }
});

test('an unknown capability never starts the command', async () => {
  const name = uniqueName('capbad');
  const marker = `/tmp/capbad-${randomBytes(4).toString('hex')}`;
  try {
    const c = await run(f.image, name, {
      root,
      output: 'collect',
      security: { privileged: false, capAdd: ['NOT_A_CAP'], capDrop: [] },
      command: ['touch', marker],
    }).catch((e: Error) => e);
    if (c instanceof Error) assert.ok((c as { code?: string }).code, String(c));
    else assert.is(c.exitCode, 125, 'setup failure');
    const check = await run(f.image, uniqueName('capchk'), {
      root,
      output: 'collect',
      rm: true,
      command: ['sh', '-c', `test -e ${marker} && echo RAN || echo no`],
    });
    assert.is(check.stdout, 'no\n');
  } finally {
    await stopQuiet(root, name);
  }
});

test('nothing of the probes is left on the host', async () => {
  assert.is(readFileSync(MARKER, 'utf8'), `${SECRET}\n`);
  assert.equal(
    (await ps({ root, all: true })).map((c) => c.name),
    [],
  );
  await rejectsWith(stop(uniqueName('gone'), { root }), 'CONTAINER_NOT_FOUND');
});

test.run();
