// generate systemd's planner: the unit's text for a record, each command-line word as systemd
// reads it, and the ExecStart argv given back to the CLI's own `run` parser, which must ask the SDK
// for the container the record describes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMANDS } from '../../../scripts/cli/commands.ts';
import type { Io, Sdk } from '../../../scripts/cli/common.ts';
import { parseArgs } from '../../../scripts/cli/args.ts';
import { planSystemdUnit, runArgvOf, systemdWord, unitFileName } from '../../../sdk/container/systemd-unit.ts';
import { silentLogger, type RunOptions } from '../../../sdk/index.ts';
import type { ContainerRecord } from '../../../sdk/types.ts';

const rec: ContainerRecord = {
  version: 2,
  name: 'web1',
  image: 'web',
  hostname: 'front',
  createdAt: '2026-12-03T15:00:00.000Z',
  command: ['nginx', '-g', 'daemon off;'],
  env: ['PATH=/usr/bin', 'MODE=prod'],
  workdir: '/srv',
  detached: true,
  autoRemove: false,
  restart: { policy: 'on-failure', maxRetries: 2 },
  request: {
    command: ['-g', 'daemon off;'],
    entrypoint: ['nginx'],
    env: ['MODE=prod', 'GREETING=50% off $now'],
    workdir: '/srv',
    user: 'www-data',
    stopSignal: 'SIGQUIT',
    health: { cmd: 'curl -f http://localhost/ || exit 1', intervalMs: 1500, retries: 2 },
  },
  network: {
    ip: '10.200.0.2',
    prefixLength: 30,
    gateway: '10.200.0.1',
    hostInterface: 'cd0a1b2c',
    internet: true,
    ports: [{ container: 8080, host: 3000 }],
    peers: ['db1'],
    allowHost: [5432],
  },
  limits: { memory: 268435456, cpus: 0.5, pids: 100 },
  cgroups: ['/sys/fs/cgroup/conductor/abc'],
  undo: [],
  security: { privileged: false, capAdd: ['NET_ADMIN'], capDrop: ['CHOWN'], seccomp: { profile: '/etc/p.json' } },
  mounts: [
    { type: 'volume', source: 'data', target: '/var/lib/app', readonly: true, options: ['nocopy'] },
    { type: 'bind', source: '/srv/html', target: '/usr/share/html', readonly: false },
    { type: 'tmpfs', target: '/run', readonly: false, options: ['size=8m', 'mode=1777'] },
  ],
  readOnly: true,
};
const how = { conductor: ['/usr/bin/node', '/opt/conductor/dist/conductor.cjs'], root: '/var/lib/conductor' };
const unitOpts = { ...how, cache: '/var/lib/conductor/.cache' };

test('systemdWord: plain words as they are; quotes, escapes, % and $ doubled, a lone ; escaped', () => {
  assert.is(systemdWord('/usr/bin/node'), '/usr/bin/node');
  assert.is(systemdWord('MODE=prod'), 'MODE=prod');
  assert.is(systemdWord('daemon off;'), '"daemon off;"');
  assert.is(systemdWord('50% off $now'), '"50%% off $$now"');
  assert.is(systemdWord('say "hi"\\'), '"say \\"hi\\"\\\\"');
  assert.is(systemdWord('a\nb\tc'), '"a\\nb\\tc"');
  assert.is(systemdWord(''), '""');
  assert.is(systemdWord(';'), '\\;');
  assert.is(systemdWord("it's"), '"it\'s"');
});

test("unitFileName: podman's container-<name>.service", () => {
  assert.is(unitFileName('web1'), 'container-web1.service');
});

test('planSystemdUnit: a forking service that removes a stale record, runs the container, stops it', () => {
  const unit = planSystemdUnit(rec, { ...unitOpts, stopTimeoutSeconds: 5 });
  const cli = '/usr/bin/node /opt/conductor/dist/conductor.cjs';
  assert.equal(unit.split('\n'), [
    '# container-web1.service',
    '# made by `conductor generate systemd web1` from its record of 2026-12-03T15:00:00.000Z',
    '# not replayed: its peer links (db1); run `conductor peer` again',
    '',
    '[Unit]',
    'Description=conductor container web1',
    'Wants=network-online.target',
    'After=network-online.target',
    'RequiresMountsFor=/var/lib/conductor /var/lib/conductor/.cache',
    '',
    '[Service]',
    'Environment=CONDUCTOR_ROOT=/var/lib/conductor',
    'Environment=CONDUCTOR_CACHE=/var/lib/conductor/.cache',
    'Type=forking',
    'TimeoutStopSec=65',
    `ExecStartPre=-${cli} stop --ignore -t 0 web1`,
    `ExecStart=${cli} run -d --restart on-failure:2 --hostname front -e MODE=prod ` +
      '-e "GREETING=50%% off $$now" -w /srv -u www-data --stop-signal SIGQUIT ' +
      '--health-cmd "curl -f http://localhost/ || exit 1" --health-interval 1500ms --health-retries 2 --entrypoint nginx --network bridge ' +
      '--internet --expose 8080-3000 --allow-host 5432 --memory 268435456 --cpus 0.5 --pids-limit 100 ' +
      '--cap-add NET_ADMIN --cap-drop CHOWN --security-opt seccomp=/etc/p.json -v data:/var/lib/app:ro,nocopy ' +
      '-v /srv/html:/usr/share/html --tmpfs /run:size=8m,mode=1777 --read-only web web1 -- -g "daemon off;"',
    `ExecStop=${cli} stop --ignore -t 5 web1`,
    `ExecStopPost=-${cli} stop --ignore -t 0 web1`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ]);
});

test('planSystemdUnit: a bare record gives a bare run line (no network, image defaults, stop -t 10)', () => {
  const bare: ContainerRecord = {
    ...rec,
    hostname: 'web1',
    restart: undefined,
    request: {},
    network: undefined,
    limits: {},
    security: { privileged: false, capAdd: [], capDrop: [], seccomp: 'default' },
    mounts: [],
    readOnly: false,
  };
  const lines = planSystemdUnit(bare, unitOpts).split('\n');
  assert.ok(
    lines.includes('ExecStart=/usr/bin/node /opt/conductor/dist/conductor.cjs run -d web web1'),
    lines.join('\n'),
  );
  assert.ok(lines.includes('TimeoutStopSec=70'));
  assert.not.ok(lines.some((l) => l.startsWith('# not replayed')));
});

const runThroughCli = async (argv: string[]): Promise<[string, string, RunOptions]> => {
  const calls: unknown[][] = [];
  const sdk = { run: async (...a: unknown[]) => (calls.push(a), { name: a[1] }) } as unknown as Sdk;
  const io: Io = { sdk, out: () => {}, pipeOut: async () => {}, log: silentLogger() };
  const c = COMMANDS[argv[0]!]!;
  assert.is(await c.handler(parseArgs(argv.slice(1), c.options, c.commandAfter), io), 0);
  assert.is(calls.length, 1);
  return calls[0] as [string, string, RunOptions];
};

test('runArgvOf: the CLI reads it back as the run the record describes', async () => {
  const [image, name, o] = await runThroughCli(runArgvOf(rec));
  assert.equal([image, name], ['web', 'web1']);
  assert.equal(
    {
      command: o.command,
      entrypoint: o.entrypoint,
      env: o.env,
      workdir: o.workdir,
      user: o.user,
      stopSignal: o.stopSignal,
      restart: o.restart,
      hostname: o.hostname,
      detach: o.detach,
      rm: o.rm,
    },
    {
      // `--entrypoint nginx -- -g 'daemon off;'` resolves as entrypoint ['nginx'] and command ['-g', ...].
      command: ['-g', 'daemon off;'],
      entrypoint: ['nginx'],
      env: ['MODE=prod', 'GREETING=50% off $now'],
      workdir: '/srv',
      user: 'www-data',
      stopSignal: 'SIGQUIT',
      restart: 'on-failure:2',
      hostname: 'front',
      detach: true,
      rm: false,
    },
  );
  assert.equal(o.health, rec.request!.health);
  assert.equal(o.network, { internet: true, expose: [{ container: 8080, host: 3000 }], allowHost: [5432] });
  assert.equal(o.limits, rec.limits);
  assert.equal(o.security, {
    privileged: false,
    capAdd: ['NET_ADMIN'],
    capDrop: ['CHOWN'],
    seccomp: { profile: '/etc/p.json' },
  });
  assert.equal(o.mounts, rec.mounts);
  assert.is(o.readOnly, true);
});

test('runArgvOf: a multi-word entrypoint is one --entrypoint word and the rest before the command', async () => {
  const r = { ...rec, request: { entrypoint: ['/bin/sh', '-c'], command: ['echo hi'] } };
  const [, , o] = await runThroughCli(runArgvOf(r));
  assert.equal([...o.entrypoint!, ...o.command!], ['/bin/sh', '-c', 'echo hi']);
  const cleared = await runThroughCli(runArgvOf({ ...rec, request: { entrypoint: [] } }));
  assert.equal(cleared[2].entrypoint, [], "--entrypoint '' clears the image's");
});

test('runArgvOf: a network without internet, ports or host ports is --network bridge', async () => {
  const net = { ...rec.network!, internet: false, ports: [], allowHost: undefined };
  const [, , o] = await runThroughCli(runArgvOf({ ...rec, network: net }));
  assert.equal(o.network, { internet: false, expose: [], allowHost: [] });
});

test.run();
