// Root integration tests of the container runtime through the SDK: what the container sees: hostname, /etc, PID
// namespace, /dev, fds.
// One temp state root with one small image over the shared cached base; every test stops what it started.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';

const { root, dirOf, runAttached, assertClean } = await runtimeSuite('rt-view');

const MINIMAL_DEV = [
  'fd',
  'full',
  'mqueue',
  'null',
  'ptmx',
  'pts',
  'random',
  'shm',
  'stderr',
  'stdin',
  'stdout',
  'tty',
  'urandom',
  'zero',
];

test("hostname, /etc files, PID namespace, /dev and fds are the container's own", async () => {
  const name = uniqueName('view');
  // perl is the only process: PID 1, and the only PID in /proc.
  const script = [
    'opendir F, "/proc/self/fd"; print "fds=", join(",", sort grep { /^\\d+$/ } readdir F), "\\n"; closedir F;',
    'opendir P, "/proc"; print "pids=", join(",", sort grep { /^\\d+$/ } readdir P), "\\n";',
    'open C, "/proc/1/cmdline"; my $c = <C>; $c =~ s/\\0/ /g; print "pid1=$c\\n";',
    'opendir D, "/dev"; print "dev=", join(",", sort grep { !/^\\.\\.?$/ } readdir D), "\\n";',
    'print "self=$$\\n";',
  ].join(' ');
  try {
    const c = await runAttached(name, ['perl', '-e', script]);
    assert.is(c.exitCode, 0, c.stderr);
    const kv = Object.fromEntries(
      (c.stdout ?? '')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.is(kv.pids, '1', "only the container's process is visible");
    assert.is(kv.self, '1', 'the command is PID 1');
    assert.match(kv.pid1 ?? '', /^perl -e /);
    assert.equal(kv.dev?.split(','), MINIMAL_DEV, 'exactly the minimal /dev');
    // opendir's own fd is 3: 0-3 and nothing inherited from the host.
    assert.is(kv.fds, '0,1,2,3');

    const files = await runAttached(
      uniqueName('view'),
      [
        'sh',
        '-c',
        'hostname; echo "$HOSTNAME"; cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf',
      ],
      { rm: true },
    );
    const [head, hosts, resolv] = (files.stdout ?? '').split('---\n');
    const [h1, h2, h3] = head!.trim().split('\n');
    assert.ok(h1!.startsWith('t-view-'));
    assert.is(h2, h1);
    assert.is(h3, h1);
    assert.match(hosts!, new RegExp(`^127\\.0\\.1\\.1\\t${h1}$`, 'm'));
    assert.is.not(hosts, readFileSync('/etc/hosts', 'utf8'));
    assert.is(resolv, '', "no network yet: an empty resolv.conf, not the host's");

    // The first container (no --rm) still has its files: /etc/hostname came from them.
    assert.is(readFileSync(path.join(dirOf(name), 'hostname'), 'utf8'), `${name}\n`);
  } finally {
    await stopQuiet(root, name);
  }
});

test('--hostname overrides the container name', async () => {
  const name = uniqueName('hn');
  try {
    const c = await runAttached(
      name,
      ['sh', '-c', 'hostname; cat /etc/hostname; echo "$HOSTNAME"; grep -c other-host /etc/hosts'],
      { hostname: 'other-host', rm: true },
    );
    assert.is(c.stdout, 'other-host\nother-host\nother-host\n1\n');
  } finally {
    await stopQuiet(root, name);
  }
});

test('the state root is clean at the end', assertClean);

test.run();
