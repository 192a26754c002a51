// Root integration tests of terminals: the CLI runs on a real pty (the admin's terminal, driven by
// tests/helpers/pty-driver.py). Without -t a container must not reach that terminal at all (no
// controlling terminal, no terminal fd: TIOCSTI would type into the admin's shell); with -t it gets a
// pty of its own devpts, sized and resized like the caller's, and the caller's terminal settings
// survive the container being SIGKILLed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildCli, CLI, cli, makeFixture, processesMentioning, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { openTerminal, shLine, sq } from '../helpers/terminal.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { ps } from '../../sdk/index.ts';
import { stateOf } from '../helpers/internals.ts';
import { statePaths } from '../helpers/state-paths.ts';

buildCli();
const f = await makeFixture('tty');
const { root, env, image: img } = f;
const conductor = (...args: string[]) => shLine([process.execPath, CLI, ...args]);
const scratch = mkdtempSync('/tmp/conductor-tty-test-');

test.after(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await f.cleanup();
});

// TIOCSTI (0x5412) on fds 0-2 and on /dev/tty, then TIOCSWINSZ (0x5414, which needs no
// controlling terminal: any holder of a terminal fd may resize, like tcsetattr) on fds 0-2.
// perl-base is in every minbase image.
const PROBE = `my @r;
for my $fd (0, 1, 2) {
  open(my $h, "+<&=", $fd) or do { push @r, "fd$fd=closed"; next };
  my $c = "Z";
  push @r, ioctl($h, 0x5412, $c) ? "sti$fd=INJECTED" : "sti$fd=refused";
}
if (open(my $t, "+<", "/dev/tty")) { my $c = "Z"; \
push @r, ioctl($t, 0x5412, $c) ? "devtty=INJECTED" : "devtty=opened"; }
else { push @r, "devtty=refused"; }
for my $fd (0, 1, 2) {
  open(my $h, "+<&=", $fd) or next;
  my $ws = pack("S4", 1, 1, 0, 0);
  push @r, ioctl($h, 0x5414, $ws) ? "winsz$fd=CHANGED" : "winsz$fd=refused";
}
print "PROBE @r\\n";`;
// Run in the admin's shell after the container: what waits in its terminal's input, i.e. what the
// admin's shell would read (and run) next. Non-canonical for the look, so a partial line counts too.
const QUEUED = shLine([
  'perl',
  '-MPOSIX',
  '-e',
  `my $t = POSIX::Termios->new; $t->getattr(0) or die "tcgetattr: $!";
my ($l, $min, $time) = ($t->getlflag, $t->getcc(VMIN), $t->getcc(VTIME));
$t->setlflag($l & ~ICANON); $t->setcc(VMIN, 0); $t->setcc(VTIME, 0); $t->setattr(0, TCSANOW) or die;
my $b = ""; defined sysread(STDIN, $b, 4096) or die "read: $!";
$t->setlflag($l); $t->setcc(VMIN, $min); $t->setcc(VTIME, $time); $t->setattr(0, TCSANOW) or die;
print "QUEUED=[", unpack("H*", $b), "]\n";`,
]);
// Inside, with -t: is the terminal on fd 0 a pts of the container's own devpts instance?
const OWN_PTY = `t=$(tty) && [ "$(stat -c %d "$t")" = "$(stat -c %d /dev/pts/ptmx)" ] && echo "OWN-PTY $t"`;
// 0: the kernel refuses TIOCSTI without CAP_SYS_ADMIN even on one's own terminal.
const LEGACY_TIOCSTI = readFileSync('/proc/sys/dev/tty/legacy_tiocsti', 'utf8').trim() !== '0';
const PROBE_REFUSED =
  'PROBE sti0=refused sti1=refused sti2=refused devtty=refused winsz0=refused winsz1=refused winsz2=refused';

async function detached(name: string, ...extra: string[]): Promise<void> {
  const r = await cli(env, ['run', '-d', ...extra, img, name, '--', 'sleep', 'infinity']);
  assert.is(r.code, 0, r.stderr);
}

test('without -t, run / exec / build RUN cannot reach the admin terminal: no TIOCSTI, no /dev/tty', async () => {
  const name = uniqueName('nott');
  const built = uniqueName('ttyb');
  try {
    await detached(name);
    writeFileSync(
      path.join(scratch, 'Conductorfile'),
      `FROM debian:bookworm\nRUN perl -e ${sq(PROBE.replace(/\n/g, ' '))} && echo ${uniqueName('nocache')}\n`,
    );
    const script = [
      `${conductor('run', '--rm', img, uniqueName('nott'), '--', 'perl', '-e', PROBE)}; echo "RUN-RC=$?"`,
      `${conductor('exec', name, 'perl', '-e', PROBE)}; echo "EXEC-RC=$?"`,
      `${conductor('build', built, path.join(scratch, 'Conductorfile'), '--context', scratch)} 2>&1; ` +
        `echo "BUILD-RC=$?"`,
      QUEUED,
    ].join('\n');
    const t = openTerminal(['sh', '-c', script], env);
    const code = await t.exit;
    const s = t.screen();
    assert.is(code, 0, s);
    for (const step of ['RUN', 'EXEC', 'BUILD']) assert.match(s, `${step}-RC=0`);
    const probes = s.split(/\r?\n/).filter((l) => l.startsWith('PROBE '));
    assert.equal(probes, [PROBE_REFUSED, PROBE_REFUSED, PROBE_REFUSED], s);
    assert.match(s, /^QUEUED=\[\]\r?$/m, 'nothing was typed into the admin terminal');
  } finally {
    await cli(env, ['rmi', built]);
    await stopQuiet(root, name);
  }
});

test("without -t, the terminal's input is still copied in, and its Ctrl-D ends it", async () => {
  const t = openTerminal(
    [
      process.execPath,
      CLI,
      'run',
      '--rm',
      img,
      uniqueName('cat'),
      '--',
      'sh',
      '-c',
      'cat; echo "CAT-RC=$?"; [ -t 0 ] || echo NOT-A-TTY',
    ],
    env,
  );
  t.type('hello\r');
  await t.waitFor(/hello\r\nhello\r\n/);
  t.type('\x04');
  assert.is(await t.exit, 0, t.screen());
  assert.match(t.screen(), /CAT-RC=0\r\nNOT-A-TTY\r\n/);
});

test("run -t: a pty of the container's own; TIOCSTI lands there, never in the admin terminal", async () => {
  // Types "MARK\n" and reads it back, then types "LEFT" and leaves it for whoever reads next.
  const typeBack =
    'ioctl(STDIN, 0x5412, $_) for split //, "MARK\\n"; my $l = <STDIN>; ' +
    'print "GOT:$l"; ioctl(STDIN, 0x5412, $_) for split //, "LEFT"';
  const cmd = `${OWN_PTY}; perl -e ${sq(typeBack)}; perl -e ${sq(PROBE)}`;
  const script = [
    `${conductor('run', '-t', '--rm', img, uniqueName('tsti'), '--', 'sh', '-c', cmd)}; echo "RC=$?"`,
    QUEUED,
  ].join('\n');
  const t = openTerminal(['sh', '-c', script], env);
  const code = await t.exit;
  const s = t.screen();
  assert.is(code, 0, s);
  assert.match(s, /^OWN-PTY \/dev\/pts\/\d+\r?$/m, s);
  if (LEGACY_TIOCSTI) {
    // Its own controlling terminal: allowed, and harmless.
    assert.match(s, /^GOT:MARK\r?$/m, "what it typed went to its own terminal's input");
    // (after the echo of what it typed)
    assert.match(
      s,
      new RegExp(
        'PROBE sti0=INJECTED sti1=INJECTED sti2=INJECTED devtty=INJECTED ' +
          String.raw`winsz0=CHANGED winsz1=CHANGED winsz2=CHANGED\r?$`,
        'm',
      ),
      s,
    );
  }
  assert.match(s, /^RC=0\r?$/m, s);
  assert.match(s, /^QUEUED=\[\]\r?$/m, "the admin terminal's input queue is empty");
});

test("run -it: tty, the caller's size and its resizes, job control, Ctrl-C to the foreground job", async () => {
  const name = uniqueName('tit');
  const t = openTerminal([process.execPath, CLI, 'run', '-it', '--rm', img, name, '--', 'bash'], env, {
    rows: 30,
    cols: 100,
  });
  try {
    await t.waitFor(new RegExp(`root@${name}:/# `));
    t.type(`${OWN_PTY}; stty size | sed 's/^/SIZE:/'; [[ $- == *m* ]] && echo "JOBS-$((6*7))"\r`);
    await t.waitFor(/SIZE:30 100\r\n/);
    await t.waitFor(/OWN-PTY \/dev\/pts\/\d+\r\n/);
    await t.waitFor(/JOBS-42/);
    assert.not.match(t.screen(), /no job control|cannot set terminal process group/);
    // The outer terminal changes size: the container's follows before the next keystroke.
    const mark = t.screen().length;
    t.resize(42, 123);
    t.type(`stty size | sed 's/^/SIZE:/'\r`);
    await t.waitFor(/SIZE:42 123\r\n/, { from: mark });
    // Ctrl-C interrupts the foreground job inside, not the CLI: the shell goes on.
    t.type('sleep 1234.5; echo "NOT-INTERRUPTED"\r');
    await until('the sleep inside', () => processesMentioning('sleep 1234.5').length > 0);
    const before = t.screen().length;
    t.type('\x03');
    t.type(`echo "ALIVE-$((6*7))"\r`);
    await t.waitFor(/ALIVE-42\r\n/, { from: before });
    assert.not.match(t.screen(), /NOT-INTERRUPTED\r\n/);
    assert.equal(processesMentioning('sleep 1234.5'), []);
    t.type('exit 5\r');
    assert.is(await t.exit, 5, t.screen());
  } finally {
    t.kill();
    await stopQuiet(root, name);
  }
});

const theCallerSTerminal =
  "the caller's terminal settings come back " +
  'when an -it run is SIGKILLed by stop, its relay SIGTERMed, or the CLI SIGKILLed';
test(theCallerSTerminal, async () => {
  for (const how of ['stop', 'relay', 'cli'] as const) {
    const name = uniqueName(`tk${how[0]}`);
    const before = path.join(scratch, `${name}.before`);
    const after = path.join(scratch, `${name}.after`);
    // The shell holds the terminal (read) until the test has looked at it.
    const script =
      `stty -a > ${sq(before)}; ${conductor('run', '-it', img, name, '--', 'bash')}; ` +
      `echo "RC=$?"; read -r go; stty -a > ${sq(after)}`;
    const t = openTerminal(['sh', '-c', script], env);
    let cliPid = 0;
    try {
      await t.waitFor(new RegExp(`root@${name}:/# `));
      const initial = await t.termios('initial');
      assert.is.not(await t.termios(), initial, 'raw while attached');
      const relay = processesMentioning('conductor-tty').filter((p) => p.cmdline.includes(`${name}/rootfs`));
      assert.is(relay.length, 1, JSON.stringify(relay));
      // Node puts its stdio's settings back when it exits: hold the CLI, so what we see is the relay's doing.
      cliPid = Number(readFileSync(`/proc/${relay[0]!.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      // Freeze the CLI only once it has recorded the launch and let go of the container's lock: a
      // creator frozen mid-update would (rightly) make stop wait for it.
      await until('the run recorded as complete, its lock released', () => {
        const rec = JSON.parse(readFileSync(statePaths(root).record(name), 'utf8')) as { creating?: unknown };
        return rec.creating === undefined && !existsSync(statePaths(root).containerLock(name));
      });
      process.kill(cliPid, 'SIGSTOP');
      if (how === 'stop') {
        const r = await cli(env, ['stop', '-t', '0', name]);
        assert.is(r.code, 0, r.stderr);
        assert.is(r.stdout, `${name} killed after 0 s (137)\n`);
      } else if (how === 'relay') {
        process.kill(relay[0]!.pid, 'SIGTERM');
      } else {
        // Nothing of Node's runs on SIGKILL: only the relay (hung up by its parent's death) restores.
        process.kill(cliPid, 'SIGKILL');
      }
      await until('the relay to exit', () => stateOf(relay[0]!.pid) === 'Z' || stateOf(relay[0]!.pid) === null);
      assert.is(await t.termios(), initial, `${how}: the relay restored the terminal`);
      if (how !== 'cli') process.kill(cliPid, 'SIGCONT');
      cliPid = 0;
      t.type('go\n');
      assert.is(await t.exit, 0, t.screen());
      assert.match(t.screen(), how === 'relay' ? /RC=143/ : /RC=137/, t.screen());
      assert.is(readFileSync(after, 'utf8'), readFileSync(before, 'utf8'), 'stty -a before and after');
      await until(`${how}: the container to be gone`, async () => {
        const left = (await ps({ root, all: true })).find((c) => c.name === name);
        return !left || left.status !== 'running';
      });
    } finally {
      try {
        if (cliPid) process.kill(cliPid, 'SIGCONT');
      } catch {
        /* gone */
      }
      t.kill();
      await stopQuiet(root, name);
    }
  }
});

test("exec -t: a pty of the container's own, sized like the caller's", async () => {
  const name = uniqueName('texe');
  try {
    await detached(name);
    const script =
      `${conductor('exec', '-t', name, 'sh', '-c', `${OWN_PTY}; stty size | sed 's/^/SIZE:/'; exit 4`)}; ` +
      `echo "RC=$?"`;
    const t = openTerminal(['sh', '-c', script], env, { rows: 33, cols: 111 });
    assert.is(await t.exit, 0, t.screen());
    const s = t.screen();
    assert.match(s, /^OWN-PTY \/dev\/pts\/\d+\r?$/m, s);
    assert.match(s, /^SIZE:33 111\r?$/m, s);
    assert.match(s, /^RC=4\r?$/m, s);
  } finally {
    await stopQuiet(root, name);
  }
});

test("run -d -t: the pty's output lands in logs", async () => {
  const name = uniqueName('tdet');
  try {
    const r = await cli(env, ['run', '-d', '-t', img, name, '--', 'sh', '-c', `${OWN_PTY}; echo DONE; sleep infinity`]);
    assert.is(r.code, 0, r.stderr);
    const log = await until('DONE in the log', async () => {
      const l = (await cli(env, ['logs', name])).stdout;
      return l.includes('DONE') ? l : null;
    });
    assert.match(log, /^OWN-PTY \/dev\/pts\/\d+\r\nDONE\r\n$/);
  } finally {
    await stopQuiet(root, name);
  }
});

// The kernel opens a ptmx node through the `pts` beside it, so the fake needs one: a privileged
// container can make both, and the helper would then hand out a pty it did not choose.
test("exec -t refuses a /dev/ptmx that is not a devpts's own (a ptmx node on a tmpfs)", async () => {
  const name = uniqueName('tfak');
  try {
    await detached(name, '--privileged');
    const fake = await cli(env, [
      'exec',
      name,
      'sh',
      '-c',
      'mount -t tmpfs tmpfs /dev/pts && mkdir /dev/pts/pts && ' +
        'mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts/pts && ' +
        'mknod /dev/pts/ptmx c 5 2 && echo FAKED',
    ]);
    assert.is(fake.stdout, 'FAKED\n', fake.stderr);
    const r = await cli(env, ['exec', '-t', name, 'tty']);
    assert.is(r.code, 125, r.stdout + r.stderr);
    assert.match(r.stderr, /console: \/dev\/ptmx is not a devpts ptmx/);
    assert.not.match(r.stdout, /\/dev\/pts/);
  } finally {
    await stopQuiet(root, name);
  }
});

test('exec -d -t is refused with a one-line error', async () => {
  const name = uniqueName('tdt');
  try {
    await detached(name);
    const r = await cli(env, ['exec', '-d', '-t', name, 'true']);
    assert.is(r.code, 125);
    assert.match(r.stderr, /-t needs an attached exec/);
  } finally {
    await stopQuiet(root, name);
  }
});

test.run();
