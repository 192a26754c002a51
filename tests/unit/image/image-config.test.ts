import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneConfig, defaultImageConfig, mergeEnv, resolveCommand, setEnv } from '../../../sdk/image/image-config.ts';
import { parseStopSignal } from '../../../sdk/image/stop-signal.ts';
import { planBuild } from '../../../sdk/image/build-plan.ts';
import { parseDockerfile } from '../../../sdk/image/conductorfile-syntax.ts';
import { isConductorError } from '../../../sdk/errors.ts';
import type { ImageConfig } from '../../../sdk/types.ts';

/** The config a Conductorfile's ENTRYPOINT/CMD lines produce, through the real parser and planner. */
const configOf = (lines: string): ImageConfig =>
  planBuild(parseDockerfile(`FROM debian:bookworm\n${lines}`)).stages[0]!.config;

// Docker's "Understand how CMD and ENTRYPOINT interact" table, row by row. The shell-form
// ENTRYPOINT column is "/bin/sh -c exec_entry p1_entry" in the docs: the CMD words still follow
// in the argv (as the shell's $0 $1, which the command text never reads), exactly as dockerd does.
const ENTRYPOINTS = {
  none: '',
  shell: 'ENTRYPOINT exec_entry p1_entry',
  exec: 'ENTRYPOINT ["exec_entry", "p1_entry"]',
} as const;
const CMDS = {
  none: '',
  exec: 'CMD ["exec_cmd", "p1_cmd"]',
  shell: 'CMD exec_cmd p1_cmd',
} as const;
const TABLE: Array<[keyof typeof CMDS, keyof typeof ENTRYPOINTS, string[]]> = [
  ['none', 'none', ['/bin/bash']],
  ['none', 'shell', ['/bin/sh', '-c', 'exec_entry p1_entry']],
  ['none', 'exec', ['exec_entry', 'p1_entry']],
  ['exec', 'none', ['exec_cmd', 'p1_cmd']],
  ['exec', 'shell', ['/bin/sh', '-c', 'exec_entry p1_entry', 'exec_cmd', 'p1_cmd']],
  ['exec', 'exec', ['exec_entry', 'p1_entry', 'exec_cmd', 'p1_cmd']],
  ['shell', 'none', ['/bin/sh', '-c', 'exec_cmd p1_cmd']],
  ['shell', 'shell', ['/bin/sh', '-c', 'exec_entry p1_entry', '/bin/sh', '-c', 'exec_cmd p1_cmd']],
  ['shell', 'exec', ['exec_entry', 'p1_entry', '/bin/sh', '-c', 'exec_cmd p1_cmd']],
];

test("resolveCommand: Docker's CMD/ENTRYPOINT table (no CMD and no ENTRYPOINT: conductor's /bin/bash)", () => {
  for (const [cmd, entrypoint, argv] of TABLE) {
    // ENTRYPOINT first, then CMD: an ENTRYPOINT written after CMD in the same stage keeps it too.
    const config = configOf(`${ENTRYPOINTS[entrypoint]}\n${CMDS[cmd]}`);
    assert.equal(resolveCommand(config), argv, `CMD ${cmd} / ENTRYPOINT ${entrypoint}`);
  }
});

test('resolveCommand: run arguments replace CMD and follow an exec-form ENTRYPOINT', () => {
  const both = configOf('ENTRYPOINT ["/app"]\nCMD ["--port", "80"]');
  assert.equal(resolveCommand(both, { command: ['-v'] }), ['/app', '-v']);
  assert.equal(resolveCommand(configOf('CMD ["serve"]'), { command: ['sh'] }), ['sh']);
  // After a shell-form ENTRYPOINT they are only $0...: the shell text runs unchanged.
  assert.equal(resolveCommand(configOf('ENTRYPOINT exec top -b'), { command: ['-H'] }), [
    '/bin/sh',
    '-c',
    'exec top -b',
    '-H',
  ]);
  // An empty argument list means "none given".
  assert.equal(resolveCommand(both, { command: [] }), ['/app', '--port', '80']);
});

const resolveCommandEntrypointReplacesThe =
  'resolveCommand: --entrypoint replaces the image ENTRYPOINT and drops its CMD unless run arguments are given';
test(resolveCommandEntrypointReplacesThe, () => {
  const both = configOf('ENTRYPOINT ["/app"]\nCMD ["--port", "80"]');
  assert.equal(resolveCommand(both, { entrypoint: ['/bin/sh'] }), ['/bin/sh']);
  assert.equal(resolveCommand(both, { entrypoint: ['/bin/sh'], command: ['-c', 'id'] }), ['/bin/sh', '-c', 'id']);
  // --entrypoint '' clears it and keeps the image's CMD (or the run arguments).
  assert.equal(resolveCommand(both, { entrypoint: [] }), ['--port', '80']);
  assert.equal(resolveCommand(both, { entrypoint: [], command: ['ls'] }), ['ls']);
  assert.equal(resolveCommand(configOf('ENTRYPOINT ["/app"]'), { entrypoint: [] }), ['/bin/bash']);
});

test('resolveCommand: the image config is not mutated', () => {
  const config = configOf('ENTRYPOINT ["/app"]\nCMD ["x"]');
  const before = cloneConfig(config);
  resolveCommand(config, { command: ['y'] }).push('z');
  assert.equal(config, before);
});

test('mergeEnv: user values replace in place or append; a bare name unsets; the image env is untouched', () => {
  const image = ['PATH=/usr/bin', 'MODE=prod', 'DEBUG=1'];
  assert.equal(mergeEnv(image, ['MODE=dev', 'NEW=x=y', 'DEBUG']), ['PATH=/usr/bin', 'MODE=dev', 'NEW=x=y']);
  assert.equal(mergeEnv(image, []), image);
  assert.equal(mergeEnv(image, ['PATH=/opt/bin']), ['PATH=/opt/bin', 'MODE=prod', 'DEBUG=1']);
  // The last word on a key wins: set after unset keeps it, unset after set drops it.
  assert.equal(mergeEnv(image, ['DEBUG', 'DEBUG=2']), ['PATH=/usr/bin', 'MODE=prod', 'DEBUG=2']);
  assert.equal(mergeEnv(image, ['X=1', 'X']), ['PATH=/usr/bin', 'MODE=prod', 'DEBUG=1']);
  assert.equal(mergeEnv(image, ['EMPTY=']), [...image, 'EMPTY=']);
  assert.equal(image, ['PATH=/usr/bin', 'MODE=prod', 'DEBUG=1']);
});

test('setEnv replaces the first entry of a key in place', () => {
  assert.equal(setEnv(['A=1', 'B=2'], 'A', '3'), ['A=3', 'B=2']);
  assert.equal(setEnv(['A=1'], 'C', ''), ['A=1', 'C=']);
});

test('defaultImageConfig is fresh each time', () => {
  const a = defaultImageConfig();
  a.env.push('X=1');
  a.labels.k = 'v';
  assert.equal(defaultImageConfig().env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  assert.equal(defaultImageConfig().labels, {});
});

test('parseStopSignal: names with or without SIG in any case, numbers, real-time signals', () => {
  const cases: Array<[string, number]> = [
    ['SIGTERM', 15],
    ['TERM', 15],
    ['term', 15],
    ['SigInt', 2],
    ['SIGQUIT', 3],
    ['KILL', 9],
    ['SIGUSR1', 10],
    ['SIGUSR2', 12],
    ['SIGHUP', 1],
    ['SIGWINCH', 28],
    ['SIGCHLD', 17],
    ['CLD', 17],
    ['IOT', 6],
    ['SIGPWR', 30],
    ['15', 15],
    ['9', 9],
    ['1', 1],
    ['64', 64],
    ['037', 37],
    ['SIGRTMIN', 34],
    ['RTMIN+1', 35],
    ['SIGRTMIN+3', 37],
    ['SIGRTMIN+30', 64],
    ['RTMAX', 64],
    ['SIGRTMAX-1', 63],
    ['RTMAX-30', 34],
  ];
  for (const [raw, n] of cases) assert.is(parseStopSignal(raw), n, raw);
});

test('parseStopSignal: anything else is INVALID_ARGUMENT naming the value', () => {
  for (const raw of [
    '',
    '0',
    '65',
    '-1',
    '+2',
    '1.5',
    'SIG',
    'SIGFOO',
    'SIG15',
    'RTMIN+31',
    'RTMAX-31',
    'RTMIN-1',
    'RTMAX+1',
    'RTMIN+',
    ' TERM',
    'TERM ',
  ]) {
    assert.throws(
      () => parseStopSignal(raw),
      (e: unknown) =>
        isConductorError(e, 'INVALID_ARGUMENT') && e.message.startsWith(`invalid stop signal ${JSON.stringify(raw)}`),
      raw,
    );
  }
});

test.run();
