// Root integration test for native/conductor-init: builds a throwaway rootfs
// from the host's own /usr (bind-mounted read-only into a tmpfs inside a
// private mount namespace, so no network and nothing leaks to the host), then
// runs the helper for real under `unshare` and checks what the container sees.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFileSync, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const NATIVE = fileURLToPath(new URL('../../native/', import.meta.url));
const HELPER = path.join(NATIVE, 'conductor-init');
// Podman's default set: Docker's without NET_RAW, MKNOD and AUDIT_WRITE.
const DEFAULT_CAPS = '00000000800405fb';
const O_PATH = 0o10000000; // not in fs.constants; open(2) takes it as is
const PATH_DEFAULT = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const tempDirs: string[] = [];
const cleanups: Array<() => void> = [];

function exec(
  cmd: string,
  args: string[],
  stdio: StdioOptions = ['ignore', 'pipe', 'pipe'],
  cwd = '/',
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d));
    child.stderr?.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

// Shell script (run inside the new mount namespace) that turns $1 into a
// rootfs: tmpfs root, host /usr read-only, merged-usr symlinks copied from the
// host, fresh proc/sysfs for the new pid/net namespaces, a minimal /dev.
function setupScript(): string {
  const lines = [
    'set -e',
    'R=$1; shift',
    'mount -t tmpfs -o mode=755 tmpfs "$R"',
    'mkdir -p "$R/usr" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/etc"',
    'mount --bind /usr "$R/usr"',
    'mount -o remount,bind,ro "$R/usr"',
  ];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(`/${name}`);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) lines.push(`ln -s ${fs.readlinkSync(`/${name}`)} "$R/${name}"`);
    else if (st.isDirectory())
      lines.push(`mkdir "$R/${name}"`, `mount --bind /${name} "$R/${name}"`, `mount -o remount,bind,ro "$R/${name}"`);
  }
  lines.push(
    'mount -t proc proc "$R/proc"',
    'mount -t sysfs sysfs "$R/sys"',
    'mount -t tmpfs -o mode=755 tmpfs "$R/dev"',
    'for d in null zero urandom; do touch "$R/dev/$d"; mount --bind /dev/$d "$R/dev/$d"; done',
    'echo "not executable" > "$R/tmp/notexec"; chmod 644 "$R/tmp/notexec"',
    // A host fd left open by the caller: the helper must not leak it.
    'exec 7</etc/hostname',
    'exec "$@"',
  );
  return lines.join('\n');
}

function newRootDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conductor-init-test-'));
  tempDirs.push(dir);
  fs.mkdirSync(path.join(dir, 'root'));
  return path.join(dir, 'root');
}

// unshare args up to (and including) the helper's own argv.
function containerArgs(helperArgs: string[], cmd: string[]): string[] {
  const root = newRootDir();
  return [
    '--mount',
    '--pid',
    '--uts',
    '--ipc',
    '--net',
    '--fork',
    '--kill-child',
    '--propagation',
    'private',
    'sh',
    '-c',
    setupScript(),
    'setup',
    root,
    HELPER,
    '--rootfs',
    root,
    ...helperArgs,
    '--',
    ...cmd,
  ];
}

function runContainer(helperArgs: string[], cmd: string[], stdio?: StdioOptions): Promise<Result> {
  return exec('unshare', containerArgs(helperArgs, cmd), stdio);
}

const sh = (script: string) => ['sh', '-c', script];

function statusField(status: string, field: string): string | undefined {
  return status.match(new RegExp(`^${field}:\\s*(\\S+)`, 'm'))?.[1];
}

function hostStatus(field: string): string | undefined {
  return statusField(fs.readFileSync('/proc/self/status', 'utf8'), field);
}

interface Cgroup {
  dir: string;
  procs: string;
  inside: RegExp;
}

function makeCgroup(): Cgroup {
  const name = `conductor-test-${randomBytes(4).toString('hex')}`;
  const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? `/sys/fs/cgroup/${name}` : `/sys/fs/cgroup/pids/${name}`;
  fs.mkdirSync(dir);
  cleanups.push(() => removeCgroup(dir));
  const inside = v2 ? new RegExp(`^0::/${name}$`, 'm') : new RegExp(`^\\d+:pids:/${name}$`, 'm');
  return { dir, procs: path.join(dir, 'cgroup.procs'), inside };
}

function removeCgroup(dir: string): void {
  // Exited tasks can take a moment to leave the cgroup; rmdir fails with EBUSY until then.
  for (let i = 0; i < 50; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      execFileSync('sleep', ['0.1']);
    }
  }
  fs.rmdirSync(dir);
}

const isRoot = process.getuid?.() === 0;

test.before(() => {
  if (isRoot) execFileSync('make', ['-s', '-C', NATIVE], { stdio: 'inherit' });
});

test.after(() => {
  for (const fn of cleanups.splice(0)) fn();
  // The tmpfs roots were mounted inside private mount namespaces that are
  // gone now, so on the host these are plain empty directories.
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

if (!isRoot) {
  test('init-helper (skipped: needs root)', () => {});
} else {
  test('run mode: hostname, default caps, no_new_privs, env, workdir', async () => {
    const r = await runContainer(
      ['--hostname', 'ctr-test', '--workdir', '/srv/app/deep', '--mkdir-workdir'],
      sh('hostname; pwd; env; cat /proc/self/status'),
    );
    assert.is(r.code, 0, r.stderr);
    const [hostname, cwd] = r.stdout.split('\n');
    assert.is(hostname, 'ctr-test');
    assert.is(cwd, '/srv/app/deep');
    for (const f of ['CapBnd', 'CapEff', 'CapPrm']) assert.is(statusField(r.stdout, f), DEFAULT_CAPS, f);
    // Nothing inheritable or ambient (CVE-2022-24769): root keeps its set through the bounding set.
    assert.is(statusField(r.stdout, 'CapInh'), '0000000000000000');
    assert.is(statusField(r.stdout, 'CapAmb'), '0000000000000000');
    assert.is(statusField(r.stdout, 'NoNewPrivs'), '1');
    // Only PATH from the helper (sh itself adds PWD).
    const env = r.stdout.split('\n').filter((l) => /^[A-Z_]+=/.test(l) && !l.startsWith('PWD='));
    assert.equal(env, [PATH_DEFAULT]);
  });

  test('run mode: --env replaces the environment exactly', async () => {
    const r = await runContainer(['--env', 'PATH=/usr/bin:/bin', '--env', 'FOO=a b=c'], ['env']);
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').sort(), ['FOO=a b=c', 'PATH=/usr/bin:/bin']);
  });

  test('--privileged keeps every capability and no_new_privs off', async () => {
    const r = await runContainer(['--privileged'], ['cat', '/proc/self/status']);
    assert.is(r.code, 0, r.stderr);
    assert.is(statusField(r.stdout, 'CapBnd'), hostStatus('CapBnd'));
    assert.is(statusField(r.stdout, 'CapEff'), hostStatus('CapBnd'));
    assert.is(statusField(r.stdout, 'NoNewPrivs'), '0');
  });

  test('--cap-drop / --cap-add adjust the default set like Docker', async () => {
    const drop = await runContainer(['--cap-drop', 'CHOWN'], ['cat', '/proc/self/status']);
    assert.is(drop.code, 0, drop.stderr);
    assert.is(statusField(drop.stdout, 'CapEff'), '00000000800405fa');
    assert.is(statusField(drop.stdout, 'CapBnd'), '00000000800405fa');

    const add = await runContainer(['--cap-add', 'cap_sys_admin', '--cap-drop', 'kill'], ['cat', '/proc/self/status']);
    assert.is(add.code, 0, add.stderr);
    assert.is(statusField(add.stdout, 'CapEff'), '00000000802405db'); // +SYS_ADMIN(21) -KILL(5)
    assert.is(statusField(add.stdout, 'CapInh'), '0000000000000000');

    // What podman leaves out of the default can be added back.
    const raw = await runContainer(
      ['--cap-add', 'NET_RAW', '--cap-add', 'MKNOD', '--cap-add', 'AUDIT_WRITE'],
      ['cat', '/proc/self/status'],
    );
    assert.is(raw.code, 0, raw.stderr);
    assert.is(statusField(raw.stdout, 'CapEff'), '00000000a80425fb'); // = Docker's default

    const only = await runContainer(['--cap-add', 'KILL', '--cap-drop', 'ALL'], ['cat', '/proc/self/status']);
    assert.is(only.code, 0, only.stderr);
    assert.is(statusField(only.stdout, 'CapEff'), '0000000000000020');

    const bad = await runContainer(['--cap-add', 'CAP_FLY'], ['true']);
    assert.is(bad.code, 125);
    assert.match(bad.stderr, 'unknown capability "CAP_FLY"');
  });

  test('no host fd leaks into the container', async () => {
    const hostFile = fs.openSync('/etc/hostname', 'r');
    try {
      // fd 5 from node, fd 7 from the setup shell (exec 7</etc/hostname).
      const r = await runContainer([], sh('ls /proc/self/fd; echo ---; readlink /proc/self/fd/3 || true'), [
        'ignore',
        'pipe',
        'pipe',
        'ignore',
        'ignore',
        hostFile,
      ]);
      assert.is(r.code, 0, r.stderr);
      const [fds, link] = r.stdout.split('---\n');
      assert.equal(fds.trim().split('\n'), ['0', '1', '2', '3']); // 3 = ls's own /proc/self/fd
      assert.not.match(link, 'hostname');
    } finally {
      fs.closeSync(hostFile);
    }
  });

  test('exit codes: command status, 127 not found, 126 not executable, 125 setup', async () => {
    assert.is((await runContainer([], sh('exit 7'))).code, 7);

    const missing = await runContainer([], ['no-such-command']);
    assert.is(missing.code, 127);
    assert.match(missing.stderr, 'conductor: "no-such-command": executable file not found');

    const missingPath = await runContainer([], ['/nope/cmd']);
    assert.is(missingPath.code, 127);

    const notExec = await runContainer([], ['/tmp/notexec']);
    assert.is(notExec.code, 126);
    assert.match(notExec.stderr, 'conductor: "/tmp/notexec": permission denied');

    const dir = await runContainer([], ['/tmp']);
    assert.is(dir.code, 126);

    const wd = await runContainer(['--workdir', '/does/not/exist'], ['true']);
    assert.is(wd.code, 125);
    assert.match(wd.stderr, 'conductor: workdir "/does/not/exist": No such file or directory');

    const noCmd = await exec('unshare', containerArgs([], []));
    assert.is(noCmd.code, 125);
    assert.match(noCmd.stderr, 'no command after --');
  });

  test('/proc is masked and read-only where Docker does it', async () => {
    const masked = ['kcore', 'keys', 'timer_list', 'sched_debug', 'latency_stats'].filter((f) =>
      fs.existsSync(`/proc/${f}`),
    );
    assert.ok(masked.length > 0, 'host has at least one maskable /proc file');
    const script = [
      ...masked.map((f) => `printf '%s=' ${f}; wc -c < /proc/${f}`),
      'if echo x > /proc/sys/kernel/hostname 2>/dev/null; then echo sys=rw; else echo sys=ro; fi',
      'if [ -e /proc/sysrq-trigger ]; then ' +
        'if echo h > /proc/sysrq-trigger 2>/dev/null; then echo sysrq=rw; else echo sysrq=ro; fi; fi',
      '[ -d /proc/acpi ] && echo acpi=$(ls -A /proc/acpi | wc -l)',
      'grep -E " /proc/(sys|bus|fs|irq) " /proc/self/mountinfo | grep -c " ro,"',
      'true',
    ].join('\n');
    const r = await runContainer([], sh(script));
    assert.is(r.code, 0, r.stderr);
    for (const f of masked) assert.match(r.stdout, new RegExp(`^${f}=0$`, 'm'), `${f} reads empty`);
    assert.match(r.stdout, /^sys=ro$/m);
    assert.not.match(r.stdout, /sysrq=rw/);
    if (fs.existsSync('/proc/acpi')) assert.match(r.stdout, /^acpi=0$/m);
    const roCount = ['sys', 'bus', 'fs', 'irq'].filter((d) => fs.existsSync(`/proc/${d}`)).length;
    assert.match(r.stdout, new RegExp(`^${roCount}$`, 'm'));

    // --privileged skips masking and read-only binds.
    const priv = await runContainer(
      ['--privileged'],
      sh('if echo ctr > /proc/sys/kernel/hostname; then echo sys=rw; fi'),
    );
    assert.is(priv.code, 0, priv.stderr);
    assert.match(priv.stdout, /^sys=rw$/m);
  });

  test('the host root is unreachable after pivot_root', async () => {
    const marker = path.join(os.tmpdir(), `conductor-marker-${randomBytes(6).toString('hex')}`);
    fs.writeFileSync(marker, 'host');
    cleanups.push(() => fs.rmSync(marker, { force: true }));
    const name = path.basename(marker);
    const r = await runContainer(
      [],
      sh(
        `test ! -e ${marker} && test ! -e /proc/1/root${marker} && echo absent;` +
          ` find / \\( -path /proc -o -path /sys \\) -prune -o -name ${name} -print; echo done;` +
          ` grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ' /proc/self/mountinfo | sed 's/.* - \\([^ ]*\\) .*/\\1/'`,
      ),
    );
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout.split('\n')[0], 'absent');
    assert.not.match(r.stdout, name);
    assert.match(r.stdout, /done\ntmpfs\n$/); // "/" is exactly one mount: our tmpfs, old root detached
  });

  test('--cgroup-fd joins the cgroup', async () => {
    const cg = makeCgroup();
    const fd = fs.openSync(cg.procs, fs.constants.O_WRONLY);
    try {
      const r = await runContainer(['--cgroup-fd', '3'], sh('cat /proc/self/cgroup; ls /proc/self/fd'), [
        'ignore',
        'pipe',
        'pipe',
        fd,
      ]);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stdout, cg.inside);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('run mode: the helper runs from a sealed memfd copy of itself, which even host root cannot write', async () => {
    // Held at --wait-fd, the helper is what PID 1 is: look at its exe from the host.
    const child = spawn('unshare', containerArgs(['--wait-fd', '3'], sh('readlink /proc/self/exe; echo go')), {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (err += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      let exe = '';
      let pid = 0;
      for (let i = 0; i < 200 && !exe.startsWith('/memfd:'); i++) {
        const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        pid = Number(kids.split(' ')[0]);
        try {
          exe = pid ? fs.readlinkSync(`/proc/${pid}/exe`) : '';
        } catch {
          exe = '';
        }
        if (!exe.startsWith('/memfd:')) await new Promise((r) => setTimeout(r, 25));
      }
      assert.is(exe, '/memfd:conductor-init (deleted)', `the held helper's exe ${err}`);
      // The attack, with every privilege: hold the exe (O_PATH) while it runs, then, once nothing
      // executes it any more (no ETXTBSY), reopen it to truncate or write.
      const held = fs.openSync(`/proc/${pid}/exe`, O_PATH);
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        let target = '';
        try {
          target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        assert.is.not(target, HELPER, `fd ${fd} of the helper is the host binary`);
      }
      (child.stdio[3] as NodeJS.WritableStream).write('G');
      assert.is(await done, 0, err);
      // Once the command runs, nothing of the helper is left: its exe is the image's own binary.
      assert.is(out, `${fs.realpathSync('/usr/bin/readlink')}\ngo\n`);
      const code = (fn: () => void) => {
        try {
          fn();
          return 'ok';
        } catch (e) {
          return (e as NodeJS.ErrnoException).code;
        }
      };
      try {
        assert.is(
          code(() => fs.closeSync(fs.openSync(`/proc/self/fd/${held}`, 'w'))),
          'EPERM',
          'O_TRUNC on the sealed copy',
        );
        const w = fs.openSync(`/proc/self/fd/${held}`, 'r+');
        try {
          assert.is(
            code(() => fs.writeSync(w, 'x')),
            'EPERM',
            'write to the sealed copy',
          );
        } finally {
          fs.closeSync(w);
        }
      } finally {
        fs.closeSync(held);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await done;
    }
  });

  // Exec mode: the helper joins a running container itself (--join PID:STARTTIME: a pidfd, one
  // setns for every namespace, a fork into its PID namespace), then joins its cgroups and drops
  // privileges as in run mode.
  test('exec mode: --join enters the init, refuses a reused PID, leaves nothing open in the waiting parent', async () => {
    const cg = makeCgroup();
    const cgFd = fs.openSync(cg.procs, fs.constants.O_WRONLY);
    const unshare = spawn('unshare', containerArgs(['--hostname', 'ctr-exec', '--cgroup-fd', '3'], ['sleep', '30']), {
      stdio: ['ignore', 'ignore', 'pipe', cgFd],
    });
    let unshareErr = '';
    unshare.stderr?.on('data', (d: Buffer) => (unshareErr += d));
    const exited = new Promise<void>((resolve) => unshare.on('close', () => resolve()));
    let initPid = 0;
    try {
      // The container's init is unshare's only child; wait until it is `sleep`.
      for (let i = 0; i < 100 && !initPid; i++) {
        const kids = fs.readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim();
        if (kids && fs.readFileSync(`/proc/${kids}/comm`, 'utf8').trim() === 'sleep') initPid = Number(kids);
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(initPid > 0, `container init started ${unshareErr}`);
      const stat = fs.readFileSync(`/proc/${initPid}/stat`, 'utf8');
      const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
      const join = ['--join', `${initPid}:${startTime}`];

      const script =
        'hostname; echo pid=$$; pwd; ls /proc/$$/fd | tr "\\n" " "; echo; ' +
        'readlink /proc/self/ns/pid /proc/self/ns/mnt /proc/self/ns/net; cat /proc/self/cgroup /proc/self/status';
      // cwd=/tmp on the host: the helper must not leave us in a directory outside the container root.
      const r = await exec(
        HELPER,
        [...join, '--cgroup-fd', '3', '--', ...sh(script)],
        ['ignore', 'pipe', 'pipe', cgFd],
        os.tmpdir(),
      );
      assert.is(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.is(lines[0], 'ctr-exec');
      assert.ok(
        Number(lines[1].slice(4)) > 1 && Number(lines[1].slice(4)) < 100,
        `small pid in container ns: ${lines[1]}`,
      );
      assert.is(lines[2], '/');
      assert.is(lines[3].trim(), '0 1 2', 'cgroup fd 3 closed');
      assert.equal(
        lines.slice(4, 7),
        ['pid', 'mnt', 'net'].map((ns) => fs.readlinkSync(`/proc/${initPid}/ns/${ns}`)),
        "the init's namespaces",
      );
      assert.match(r.stdout, cg.inside);
      assert.is(statusField(r.stdout, 'CapEff'), DEFAULT_CAPS);
      assert.is(statusField(r.stdout, 'CapBnd'), DEFAULT_CAPS);
      assert.is(statusField(r.stdout, 'NoNewPrivs'), '1');

      // The parent that waits (outside the PID namespace, still privileged) holds only stdio:
      // the cgroup fd it was handed is the child's alone.
      const probe = spawn(HELPER, [...join, '--cgroup-fd', '3', '--', 'sleep', '5'], {
        stdio: ['ignore', 'ignore', 'ignore', cgFd],
        env: {},
      });
      const probeDone = new Promise((r) => probe.on('close', r));
      try {
        let fds: string[] = [];
        for (let i = 0; i < 100; i++) {
          const kids = fs.readFileSync(`/proc/${probe.pid}/task/${probe.pid}/children`, 'utf8').trim();
          if (kids) {
            fds = fs.readdirSync(`/proc/${probe.pid}/fd`);
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(fds.sort(), ['0', '1', '2'], "the waiting parent's fds");
      } finally {
        probe.kill('SIGKILL');
        await probeDone;
      }

      const wd = await exec(HELPER, [...join, '--workdir', '/tmp', '--', 'pwd'], ['ignore', 'pipe', 'pipe']);
      assert.is(wd.code, 0, wd.stderr);
      assert.is(wd.stdout, '/tmp\n');

      const missing = await exec(HELPER, [...join, '--', 'nope'], ['ignore', 'pipe', 'pipe']);
      assert.is(missing.code, 127);

      // The exit status and a signal death come back as the command's own.
      const code = await exec(HELPER, [...join, '--', 'sh', '-c', 'exit 7'], ['ignore', 'pipe', 'pipe']);
      assert.is(code.code, 7);
      const killed = await exec(HELPER, [...join, '--', 'sh', '-c', 'kill -TERM $$'], ['ignore', 'pipe', 'pipe']);
      assert.is(killed.signal, 'SIGTERM');

      // A PID whose start time is not the init's (the init gone, its PID reused): refused, nothing run.
      const marker = `/tmp/conductor-join-${randomBytes(4).toString('hex')}`;
      const reused = await exec(
        HELPER,
        ['--join', `${initPid}:${Number(startTime) + 1}`, '--', 'touch', marker],
        ['ignore', 'pipe', 'pipe'],
      );
      assert.is(reused.code, 125);
      assert.match(reused.stderr, /the container's init \(PID \d+\) has exited/);
      assert.not.ok(fs.existsSync(`/proc/${initPid}/root${marker}`), 'the command did not run');
    } finally {
      fs.closeSync(cgFd);
      // pid 1 of a pid namespace ignores SIGTERM from outside; SIGKILL it, which
      // tears down the whole namespace, then unshare exits.
      if (initPid) process.kill(initPid, 'SIGKILL');
      else if (unshare.pid) process.kill(unshare.pid, 'SIGKILL');
      await exited;
    }
  });
}

test.run();
