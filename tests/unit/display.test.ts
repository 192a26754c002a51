import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { displayCommand } from '../../sdk/display.ts';
import { CommandError } from '../../sdk/errors.ts';

const NASTY = [
  '',
  ' ',
  'a b',
  "it's",
  '"dq"',
  '$HOME',
  '${x}',
  '$(reboot)',
  '`id`',
  'a;b',
  'a&&b',
  'a|b',
  '>out',
  '<in',
  '*',
  '?',
  '[a]',
  '~',
  '~root',
  '#comment',
  'tab\there',
  'new\nline',
  'back\\slash',
  "'",
  "''",
  '!',
  '{a,b}',
  'é',
  '-',
  '--',
  'a=b',
  '%s\\n',
];

/** Runs the displayed command through a real shell; printf '%s\0' shows the argv the shell built. */
function throughShell(args: string[]): string[] {
  const line = displayCommand(['printf', '%s\\0', ...args]);
  const r = spawnSync('/bin/sh', ['-c', line], { encoding: 'utf8', env: { HOME: '/nowhere', PATH: '/usr/bin:/bin' } });
  assert.is(r.status, 0, `${line}: ${r.stderr}`);
  return r.stdout.split('\0').slice(0, -1);
}

test('displayCommand: plain words stay as they are', () => {
  assert.is(displayCommand(['ip', 'link', 'set', 'veth0', 'up']), 'ip link set veth0 up');
  assert.is(
    displayCommand([
      'iptables',
      '-w',
      '-t',
      'nat',
      '-A',
      'CONDUCTOR-abc',
      '--dport',
      '8080',
      '-j',
      'DNAT',
      '--to',
      '10.0.0.2:80',
    ]),
    'iptables -w -t nat -A CONDUCTOR-abc --dport 8080 -j DNAT --to 10.0.0.2:80',
  );
  assert.is(displayCommand(['env', 'A=1', 'x@y,z%+']), 'env A=1 x@y,z%+');
});

test('displayCommand: anything a shell would read differently is single-quoted', () => {
  assert.is(displayCommand(['sh', '-c', "echo 'hi' $HOME"]), `sh -c 'echo '\\''hi'\\'' $HOME'`);
  assert.is(displayCommand(['echo', '']), "echo ''");
  assert.is(displayCommand(['rm', '-rf', '/x y/*']), "rm -rf '/x y/*'");
});

test('displayCommand: every argv round-trips through sh -c', () => {
  assert.equal(throughShell(NASTY), NASTY);
  for (const a of NASTY) assert.equal(throughShell([a, a]), [a, a], JSON.stringify(a));
});

test('displayCommand: a first word the shell would not run as a command is quoted', () => {
  // Unquoted, "A=1" would be an assignment and "if" a syntax error: neither runs a command named so.
  for (const first of ['A=1', 'if', 'then', 'done']) {
    const r = spawnSync('/bin/sh', ['-c', displayCommand([first, 'x'])], { encoding: 'utf8' });
    assert.is(r.status, 127, `${first}: ${r.stderr}`);
    assert.match(r.stderr, /not found/);
  }
  assert.is(displayCommand(['A=1']), "'A=1'");
  assert.is(displayCommand(['env', 'A=1']), 'env A=1');
});

test('CommandError: the failed command is shown as a shell would need it', () => {
  const e = new CommandError(['ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'a b'], 2, 'Error: nope\n');
  assert.is(e.message, `"ip addr add 10.0.0.1/24 dev 'a b'" failed with exit code 2: Error: nope`);
  assert.is(e.code, 'COMMAND_FAILED');
});

test.run();
