// Root integration tests of the devices cgroup, the wall behind nodev: a process that manages to
// mknod the host's root disk on a mount WITHOUT nodev must still be refused when it opens it.
// - cgroup level: a v1 devices cgroup (when this host has one) and the cgroup v2 BPF device
//   filter, on a temporary cgroup under the host's cgroup2 mount, each beside a control cgroup
//   with every device allowed, where the same open succeeds (so the attack is real).
// - container level: a test-only dev-allowing tmpfs is mounted into a running container's mount
//   namespace from the host (nsenter), and exec'd processes try the disk there.
// - the flags of every mount conductor makes for a container, read from /proc/self/mountinfo inside.
// Every cgroup, temp dir and container is removed in finally blocks; processes are ours, by PID.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeFixture, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { statePaths } from '../helpers/state-paths.ts';
import { exec, run } from '../../sdk/index.ts';
import {
  cgroupId,
  closeFds,
  createCgroups,
  detectLayout,
  killCgroup,
  openProcsFds,
  removeCgroups,
  findCgroup2Mount,
  type CgroupLayout,
  DEVICES_HELPER,
  DEFAULT_DEVICE_RULES,
  deviceRuleString,
  type ContainerRecord,
} from '../helpers/internals.ts';

const STATE_ROOT = `/tmp/conductor-devices-test-${randomBytes(4).toString('hex')}`;
const RULES = DEFAULT_DEVICE_RULES.map(deviceRuleString);

interface Target {
  major: number;
  minor: number;
  /** Its node on the host. */
  host: string;
}

/**
 * The block device holding / (stat's st_dev, decoded as the kernel's new_decode_dev) if the host
 * itself can open it, else the first host-openable block device of the usual ones (some sandboxes
 * refuse even the host's root the mounted disk): a test that opens nothing proves nothing.
 */
function targetDisk(): Target {
  const dev = fs.statSync('/').dev;
  const candidates = [
    `${(dev >>> 8) & 0xfff}:${(dev & 0xff) | ((dev >>> 12) & 0xfff00)}`,
    '8:0',
    '253:0',
    '259:0',
    '7:0',
  ];
  for (const mm of candidates) {
    let name: string | undefined;
    try {
      name = /^DEVNAME=(.*)$/m.exec(fs.readFileSync(`/sys/dev/block/${mm}/uevent`, 'utf8'))?.[1];
      if (!name) continue;
      fs.closeSync(fs.openSync(`/dev/${name}`, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
    } catch {
      continue;
    }
    const [major, minor] = mm.split(':').map(Number);
    return { major: major!, minor: minor!, host: `/dev/${name}` };
  }
  throw new Error(`the host can open none of the block devices ${candidates.join(' ')}`);
}
const DISK = targetDisk();

// errno names of open(2)+read(2) of each path (python3 is on the host; only host processes use it).
const OPENER = String.raw`
import errno, os, sys
for p in sys.argv[1:]:
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        n = len(os.read(fd, 1))
        os.close(fd)
        print(p, "OPENED", n)
    except OSError as e:
        print(p, errno.errorcode[e.errno])
`;

/**
 * As a member of the cgroups (joined through inherited cgroup.procs fds, like the init helper), in
 * a private mount namespace: mount a tmpfs that allows device nodes on a fresh temp dir, mknod
 * the root disk there, and try to read it and the nodes a container needs.
 */
function attackAsMember(procs: string[]): Record<string, string> {
  const dir = fs.mkdtempSync('/tmp/conductor-devtest-');
  const fds = openProcsFds(procs);
  try {
    const join = fds.map((_, i) => `echo 0 >&${3 + i}`).join('; ');
    const close = fds.map((_, i) => `${3 + i}>&-`).join(' ');
    const inner = [
      `mount -t tmpfs -o size=64k,mode=700 devtest "$0"`,
      `grep -q " $0 rw,relatime " /proc/self/mountinfo && echo "$0 MOUNT_ALLOWS_DEV"`,
      `mknod "$0/disk" b ${DISK.major} ${DISK.minor} && echo "$0/disk MKNOD_OK"`,
      `mknod "$0/null" c 1 3 && echo "$0/null MKNOD_OK"`,
      `exec python3 -c "$1" "$0/disk" "$0/null" /dev/null /dev/zero /dev/urandom`,
    ].join('; ');
    const r = spawnSync(
      '/bin/sh',
      ['-c', `${join}; exec ${close} unshare -m --propagation private sh -c '${inner}' "${dir}" "$0"`, OPENER],
      {
        stdio: ['ignore', 'pipe', 'pipe', ...fds],
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    assert.is(r.status, 0, r.stderr);
    const out: Record<string, string> = {};
    for (const line of r.stdout.trim().split('\n')) {
      const [p, ...v] = line.split(' ');
      const key = p!.replace(dir, '$T');
      out[key] = out[key] === undefined ? v.join(' ') : `${out[key]} ${v.join(' ')}`;
    }
    return out;
  } finally {
    closeFds(fds);
    fs.rmdirSync(dir); // the tmpfs died with the private namespace
  }
}

/** A devices-restricted cgroup refuses the disk; a control with every device allowed opens it. */
async function checkCgroupLevel(layout: CgroupLayout, label: string): Promise<void> {
  let dirs: string[] = [];
  let control: string[] = [];
  try {
    const cg = await createCgroups(cgroupId(STATE_ROOT, `${label}-r`), {}, { layout });
    dirs = cg.dirs;
    const ctl = await createCgroups(cgroupId(STATE_ROOT, `${label}-c`), {}, { layout, allDevices: true });
    control = ctl.dirs;
    assert.is(ctl.devices, 'none');

    const open = attackAsMember(ctl.procs);
    assert.is(open['$T'], 'MOUNT_ALLOWS_DEV', `${label} control: the test mount is not nodev`);
    assert.match(
      open['$T/disk'] ?? '',
      /^MKNOD_OK OPENED /,
      `${label} control: ${DISK.host} opens without the devices cgroup`,
    );

    const shut = attackAsMember(cg.procs);
    assert.is(shut['$T'], 'MOUNT_ALLOWS_DEV');
    assert.is(shut['$T/disk'], 'MKNOD_OK EPERM', `${label}: mknod is allowed (c/b *:* m), opening the disk is not`);
    assert.is(shut['$T/null'], 'MKNOD_OK OPENED 0', `${label}: a node of an allowed device opens on the same mount`);
    assert.is(shut['/dev/null'], 'OPENED 0');
    assert.is(shut['/dev/zero'], 'OPENED 1');
    assert.is(shut['/dev/urandom'], 'OPENED 1');
  } finally {
    for (const d of [dirs, control]) {
      if (d.length) {
        await killCgroup(d);
        await removeCgroups(d);
      }
    }
  }
  for (const d of [...dirs, ...control]) assert.not.ok(fs.existsSync(d), `${d} removed`);
}

test('the attack target: a block device the host can open', () => {
  process.stdout.write(`  target: ${DISK.host} (b ${DISK.major}:${DISK.minor})\n`);
});

test('the helper refuses bad rules with one line, and attaches nothing', () => {
  for (const [rule, msg] of [
    ['a *:* rwm', 'bad rule (want e.g. "c 1:3 rwm") "a *:* rwm"'],
    ['c 1:3', 'bad rule (want e.g. "c 1:3 rwm") "c 1:3"'],
    ['c 1:3 rwx', 'bad access in rule (want a subset of rwm) "c 1:3 rwx"'],
    ['c 1:3 ', 'bad access in rule (want a subset of rwm) "c 1:3 "'],
    ['b 4096:0 r', 'bad device number in rule "b 4096:0 r"'],
    ['c -1:3 r', 'bad device number in rule "c -1:3 r"'],
  ]) {
    const r = spawnSync(DEVICES_HELPER, ['/nonexistent', rule], { encoding: 'utf8' });
    assert.is(r.status, 1, rule);
    assert.is(r.stderr, `conductor-devices: ${msg}\n`);
  }
  const r = spawnSync(DEVICES_HELPER, ['/nonexistent/conductor/x', 'c 1:3 rwm'], { encoding: 'utf8' });
  assert.is(r.stderr, 'conductor-devices: open "/nonexistent/conductor/x": No such file or directory\n');
});

const v1DevicesCgroupDeny =
  "v1 devices cgroup: deny all, then exactly Docker's allow list; a member cannot open a mknod'd host block device";
test(v1DevicesCgroupDeny, async () => {
  const layout = detectLayout();
  if (layout.version !== 1 || !layout.controllers.devices) {
    assert.is(layout.version, 2, 'a v1 host without the devices controller');
    return;
  }
  const cg = await createCgroups(cgroupId(STATE_ROOT, 'v1list'), {});
  try {
    assert.is(cg.devices, 'v1');
    const dev = cg.dirs.find((d) => d.startsWith(`${layout.controllers.devices}/`))!;
    assert.ok(dev, `a devices dir among ${cg.dirs.join(' ')}`);
    assert.equal(fs.readFileSync(`${dev}/devices.list`, 'utf8').trim().split('\n'), RULES);
  } finally {
    await removeCgroups(cg.dirs);
  }
  await checkCgroupLevel(layout, 'v1');
});

const v2BPFDeviceFilter =
  "v2 BPF device filter: on a temporary cgroup under the host's cgroup2 mount, the same attack is refused";
test(v2BPFDeviceFilter, async () => {
  const root = findCgroup2Mount(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  assert.ok(root, 'this host has a cgroup2 mount');
  // No limits: no controller needed, so even a hybrid host's empty cgroup2 mount takes the filter.
  const layout = { version: 2 as const, root: root!, controllers: [] };
  const cg = await createCgroups(cgroupId(STATE_ROOT, 'v2kind'), {}, { layout });
  assert.is(cg.devices, 'bpf');
  await removeCgroups(cg.dirs);
  await checkCgroupLevel(layout, 'v2');
});

// ── in a container ───────────────────────────────

const f = await makeFixture('dev');
test.after(async () => {
  await f.cleanup();
});

const readState = (name: string) =>
  JSON.parse(fs.readFileSync(statePaths(f.root).record(name), 'utf8')) as ContainerRecord;

/**
 * Test-only: a tmpfs that allows device nodes, on /mnt of the running container, mounted from the
 * host into the container's mount namespace (its own mount(8) runs there; nothing reaches the
 * host's namespace, and the mount dies with the container). No conductor option can do this.
 */
function mountDevTmpfs(initPid: number): void {
  const r = spawnSync(
    'nsenter',
    ['-t', String(initPid), '-m', '--', 'mount', '-t', 'tmpfs', '-o', 'size=64k', 'devtest', '/mnt'],
    { encoding: 'utf8' },
  );
  assert.is(r.status, 0, r.stderr);
}

// Inside the container (perl-base is in every Debian minbase): mknod on /mnt, then open. The
// errno tells the walls apart: EACCES is nodev, EPERM is the devices cgroup.
const PROBE = String.raw`
use Fcntl; use POSIX qw(:errno_h);
my ($maj, $min) = @ARGV;
$| = 1;
sub kv { print "$_[0]=$_[1]\n" }
sub try_open { my ($p, $mode) = @_;
  sysopen(my $h, $p, ($mode // O_RDWR) | O_NONBLOCK | O_NOCTTY) ? "OPENED"
    : $! == EPERM ? "EPERM" : $! == EACCES ? "EACCES" : "errno " . ($! + 0) }
open(my $mi, "<", "/proc/self/mountinfo"); kv("mnt", join(" ", map { (split / /)[5] }
  grep { (split / /)[4] eq "/mnt" } <$mi>));
kv("mknod_disk", system("mknod", "/mnt/disk", "b", $maj, $min) == 0 ? "ok" : "failed");
kv("disk", try_open("/mnt/disk", O_RDONLY)); # never for writing: the host's disk
system("mknod", "/mnt/null", "c", 1, 3); kv("mnt_null", try_open("/mnt/null"));
kv("null", try_open("/dev/null")); kv("zero", try_open("/dev/zero")); kv("urandom", try_open("/dev/urandom"));
  kv("full", try_open("/dev/full"));
open(my $z, "<", "/dev/zero") or die; sysread($z, my $buf, 4); kv("zero_read", length $buf);
# A pty pair through /dev/ptmx and /dev/pts/N: unlock (TIOCSPTLCK), number (TIOCGPTN), open the slave.
if (sysopen(my $m, "/dev/ptmx", O_RDWR | O_NOCTTY)) {
  my $unlock = pack("i", 0); ioctl($m, 0x40045431, $unlock) or die "TIOCSPTLCK: $!";
  my $n = pack("i", 0); ioctl($m, 0x80045430, $n) or die "TIOCGPTN: $!";
  kv("pts", try_open("/dev/pts/" . unpack("i", $n)));
} else { kv("pts", "ptmx: $!") }
`;

function parse(out: string): Record<string, string> {
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

const containerAMknodD =
  "container: a mknod'd host block device on a mount without nodev cannot be opened; " +
  '/dev/null, zero, urandom, pts work; stop removes the devices cgroup';
test(containerAMknodD, async () => {
  const name = uniqueName('devc');
  try {
    // MKNOD is not in the default set: give it back, so only the devices cgroup stands in the way.
    const c = await run(f.image, name, {
      root: f.root,
      detach: true,
      command: ['sleep', 'infinity'],
      security: { capAdd: ['MKNOD'] },
    });
    const layout = detectLayout();
    const dirs = readState(name).cgroups;
    const devDir = layout.version === 1 ? dirs.find((d) => d.startsWith(`${layout.controllers.devices}/`)) : dirs[0];
    assert.ok(devDir && fs.existsSync(devDir), `the container has a devices cgroup among ${dirs.join(' ')}`);
    if (layout.version === 1) {
      assert.equal(fs.readFileSync(`${devDir}/devices.list`, 'utf8').trim().split('\n'), RULES);
      // The container's PID 1 is in it, not only exec'd processes.
      assert.ok(
        fs.readFileSync(`/proc/${c.pid}/cgroup`, 'utf8').includes(`:devices:/conductor/${path.basename(devDir!)}\n`),
      );
    }
    mountDevTmpfs(c.pid!);
    const r = await exec(name, ['perl', '-e', PROBE, String(DISK.major), String(DISK.minor)], { root: f.root });
    assert.is(r.exitCode, 0, r.stderr);
    const p = parse(r.stdout);
    assert.match(p.mnt ?? '', /^rw,relatime$/, `the test mount allows device nodes: ${p.mnt}`);
    assert.is(p.mknod_disk, 'ok', 'CAP_MKNOD and the "b *:* m" rule let mknod through');
    assert.is(p.disk, 'EPERM', 'the devices cgroup refuses the host block device');
    assert.is(
      p.mnt_null,
      'OPENED',
      'a node of an allowed device opens on the same mount: the refusal is the cgroup, not the mount',
    );
    for (const k of ['null', 'zero', 'urandom', 'full', 'pts']) assert.is(p[k], 'OPENED', `${k}: ${p[k]}`);
    assert.is(p.zero_read, '4');
    await stopQuiet(f.root, name);
    for (const d of dirs) assert.not.ok(fs.existsSync(d), `cgroup ${d} removed on stop`);
  } finally {
    await stopQuiet(f.root, name);
  }
});

test('container: --privileged allows every device, as Docker (the same attack opens the disk)', async () => {
  const name = uniqueName('devp');
  try {
    const c = await run(f.image, name, {
      root: f.root,
      detach: true,
      command: ['sleep', 'infinity'],
      security: { privileged: true },
    });
    mountDevTmpfs(c.pid!);
    const r = await exec(name, ['perl', '-e', PROBE, String(DISK.major), String(DISK.minor)], { root: f.root });
    assert.is(r.exitCode, 0, r.stderr);
    assert.is(parse(r.stdout).disk, 'OPENED');
  } finally {
    await stopQuiet(f.root, name);
  }
});

// mount point → [fs type, flags that must be set, flags that must not]. The per-mount options
// are field 6 of mountinfo; "rw" absent means read-only.
const EXPECTED: Record<string, [string, string[], string[]]> = {
  // suid kept like Docker's rootfs: the command runs with no_new_privs, setuid cannot escalate.
  '/': ['overlay', ['rw', 'nodev'], ['nosuid']],
  '/sys': ['sysfs', ['ro', 'nosuid', 'nodev', 'noexec'], []],
  // /dev holds the device nodes: read-only instead of nodev.
  '/dev': ['tmpfs', ['ro', 'nosuid', 'noexec'], ['nodev']],
  // devpts makes only its own pty slaves.
  '/dev/pts': ['devpts', ['rw', 'nosuid', 'noexec'], ['nodev']],
  '/dev/shm': ['tmpfs', ['rw', 'nosuid', 'nodev', 'noexec'], []],
  '/dev/mqueue': ['mqueue', ['rw', 'nosuid', 'nodev', 'noexec'], []],
  '/etc/hosts': ['*', ['rw', 'nosuid', 'nodev', 'noexec'], []],
  '/etc/hostname': ['*', ['rw', 'nosuid', 'nodev', 'noexec'], []],
  '/etc/resolv.conf': ['*', ['rw', 'nosuid', 'nodev', 'noexec'], []],
  '/proc': ['proc', ['rw', 'nosuid', 'nodev', 'noexec'], []],
};
// Masked /proc and /sys paths: read-only, on this kernel or not.
const MASKED = new RegExp(
  String.raw`^\/(proc\/(kcore|keys|timer_list|timer_stats|sched_debug|latency_stats|` +
    String.raw`scsi|acpi|asound|sys|bus|fs|irq|sysrq-trigger)|sys\/firmware|sys\/devices\/virtual\/powercap)$`,
);

function checkMounts(mountinfo: string, how: string): void {
  const seen = new Set<string>();
  for (const line of mountinfo.trim().split('\n')) {
    const fields = line.split(' ');
    const point = fields[4]!;
    const opts = fields[5]!.split(',');
    const fstype = fields[fields.indexOf('-', 6) + 1]!;
    seen.add(point);
    const ctx = `${how}: ${point} (${fstype} ${fields[5]})`;
    const exp = EXPECTED[point];
    if (exp) {
      if (exp[0] !== '*') assert.is(fstype, exp[0], ctx);
      for (const o of exp[1]) assert.ok(opts.includes(o), `${ctx} lacks ${o}`);
      for (const o of exp[2]) assert.not.ok(opts.includes(o), `${ctx} has ${o}`);
    } else {
      assert.match(point, MASKED, `${ctx}: a mount nobody planned`);
      assert.ok(
        opts.includes('ro') && opts.includes('nosuid') && opts.includes('noexec'),
        `${ctx} must be ro,nosuid,noexec`,
      );
      // /dev/null bound over a masked file must stay a device; a masked dir is an empty tmpfs.
      if (fstype !== 'tmpfs' || fields[3] !== '/null') assert.ok(opts.includes('nodev'), `${ctx} lacks nodev`);
    }
    // The rule the table encodes: every writable mount is nodev, except devpts (its nodes are the ptys).
    if (opts.includes('rw') && point !== '/dev/pts')
      assert.ok(opts.includes('nodev'), `${ctx}: writable without nodev`);
  }
  for (const p of Object.keys(EXPECTED)) assert.ok(seen.has(p), `${how}: ${p} is mounted`);
}

test('every mount of a container has the flags it should (run and exec see the same)', async () => {
  const name = uniqueName('mnt');
  try {
    const r = await run(f.image, name, { root: f.root, output: 'collect', command: ['cat', '/proc/self/mountinfo'] });
    assert.is(r.exitCode, 0, r.stderr);
    checkMounts(r.stdout ?? '', 'run');
    await run(f.image, `${name}-d`, { root: f.root, detach: true, command: ['sleep', 'infinity'] });
    const e = await exec(`${name}-d`, ['cat', '/proc/self/mountinfo'], { root: f.root });
    checkMounts(e.stdout, 'exec');
  } finally {
    await stopQuiet(f.root, name, `${name}-d`);
  }
});

test.run();
