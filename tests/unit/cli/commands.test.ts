// The CLI handlers against a fake SDK: what each one asks the SDK for, what it prints, what it
// returns. No root, no containers: the SDK's own behaviour is the integration tests' business.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMANDS } from '../../../scripts/cli/commands.ts';
import type { Io, Sdk } from '../../../scripts/cli/common.ts';
import { parseArgs, UsageError } from '../../../scripts/cli/args.ts';
import { silentLogger, type ContainerInfo, type ImageInfo } from '../../../sdk/index.ts';

interface Harness {
  io: Io;
  out: string[];
  calls: Array<[string, ...unknown[]]>;
}

/** An Io whose SDK records each call and answers from `impl`; any other verb fails the test. */
function harness(impl: Partial<Record<keyof Sdk, (...args: never[]) => unknown>>): Harness {
  const out: string[] = [];
  const calls: Harness['calls'] = [];
  const sdk = new Proxy({} as Sdk, {
    get:
      (_, verb: string) =>
      (...args: unknown[]) => {
        calls.push([verb, ...args]);
        const f = (impl as Record<string, (...a: unknown[]) => unknown>)[verb];
        if (!f) throw new Error(`unexpected sdk.${verb}()`);
        return f(...args);
      },
  });
  return { io: { sdk, out: (s) => out.push(s), pipeOut: async () => {}, log: silentLogger() }, out, calls };
}

async function cli(h: Harness, name: string, argv: string[]): Promise<number> {
  const c = COMMANDS[name]!;
  return c.handler(parseArgs(argv, c.options, c.commandAfter), h.io);
}

const web: ContainerInfo = {
  name: 'web',
  image: 'img',
  status: 'running',
  pid: 4121,
  exitCode: null,
  ip: '10.200.0.2',
  ports: [{ host: 3000, container: 8080 }],
  command: ['sh', '-c', "echo 'hi' && sleep 9"],
  createdAt: new Date(Date.now() - 5000).toISOString(),
  limits: {},
};
const old: ContainerInfo = {
  ...web,
  name: 'old',
  status: 'exited',
  pid: null,
  exitCode: 3,
  ip: null,
  ports: [],
  command: ['true'],
};

test('ps: one SDK call; a table with the command quoted as a shell would need it', async () => {
  const h = harness({ ps: async () => [web, old] });
  assert.is(await cli(h, 'ps', ['-a']), 0);
  assert.equal(h.calls, [['ps', { all: true }]]);
  const [header, row1, row2] = h.out.join('').split('\n');
  assert.match(header!, /^NAME\s+IMAGE\s+STATUS\s+PID\s+IP\s+PORTS\s+COMMAND\s+CREATED$/);
  assert.match(
    row1!,
    new RegExp(
      String.raw`^web\s+img\s+running\s+4121\s+10\.200\.0\.2\s+3000->8080\/tcp\s+` +
        String.raw`sh -c 'echo '\\''hi'\\'' && sleep 9'\s+5 seconds ago$`,
    ),
  );
  assert.match(row2!, /^old\s+img\s+exited \(3\)\s+-\s+-\s+-\s+true\s+/);
});

test('ps --json: the SDK records as they are', async () => {
  const h = harness({ ps: async () => [web] });
  assert.is(await cli(h, 'ps', ['--json']), 0);
  assert.equal(JSON.parse(h.out.join('')), [web]);
  assert.equal(h.calls, [['ps', { all: false }]]);
});

test('images: sizes and ages formatted; an extra argument is a usage error before any SDK call', async () => {
  const img: ImageInfo = {
    name: 'app',
    base: { distro: 'debian', suite: 'bookworm' },
    layers: ['a', 'b'],
    createdAt: new Date().toISOString(),
    size: 12_345,
    source: 'Conductorfile',
  };
  const h = harness({ images: async () => [img] });
  assert.is(await cli(h, 'images', []), 0);
  assert.match(h.out.join(''), /\napp\s+debian:bookworm\s+2\s+12\.3kB\s+0 seconds ago\n$/);
  const bad = harness({});
  try {
    await cli(bad, 'images', ['extra']);
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, UsageError);
  }
  assert.equal(bad.calls, []);
});

test('stop: each name in order with the timeout; killed, stopped and left-alone reported', async () => {
  const results: Record<string, object> = {
    a: { name: 'a', exitCode: 0, signal: null, killed: false, oomKilled: false },
    b: { name: 'b', exitCode: 137, signal: 'SIGKILL', killed: true, oomKilled: false },
    c: { name: 'c', exitCode: null, signal: null, killed: false, oomKilled: false },
  };
  const h = harness({ stop: async (name: never) => results[name as string] });
  assert.is(await cli(h, 'stop', ['a', 'b', 'c', '-t', '3']), 0);
  assert.equal(
    h.calls.map((c) => c.slice(0, 2)),
    [
      ['stop', 'a'],
      ['stop', 'b'],
      ['stop', 'c'],
    ],
  );
  assert.equal(h.calls[0]![2], {
    timeoutSeconds: 3,
    ignoreMissing: false,
    leaveCreating: false,
    signal: undefined,
    dryRun: false,
  });
  assert.is(h.out.join(''), 'a stopped: exit 0\nb killed after 3 s (137)\nc stopped: not running\n');
});

test('stop: the containers stop at once, not one after another; one failure stops none of the others', async () => {
  let inFlight = 0;
  let most = 0;
  const h = harness({
    stop: async (name: never) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setImmediate(r)); // a sequential loop would finish each call before the next
      inFlight--;
      if (name === 'b') throw new Error('b is stuck');
      return { name, exitCode: 0, signal: null, killed: false, oomKilled: false };
    },
  });
  let thrown: unknown;
  await cli(h, 'stop', ['a', 'b', 'c']).catch((e: unknown) => (thrown = e));
  assert.is(most, 3, 'all three were stopping at the same time');
  assert.is((thrown as Error | undefined)?.message, 'b is stuck');
  assert.is(h.out.join(''), 'a stopped: exit 0\nc stopped: exit 0\n');
});

test('stop --all: asks ps for every name, and leaves containers being created alone', async () => {
  const h = harness({
    ps: async () => [web, old],
    stop: async (name: never) => ({
      name,
      exitCode: null,
      signal: null,
      killed: false,
      oomKilled: false,
      skipped: name === 'web' ? 'creating' : undefined,
    }),
  });
  assert.is(await cli(h, 'stop', ['--all']), 0);
  assert.equal(
    h.calls.map((c) => c[0]),
    ['ps', 'stop', 'stop'],
  );
  assert.equal(h.calls[1]![2], {
    timeoutSeconds: 10,
    ignoreMissing: false,
    leaveCreating: true,
    signal: undefined,
    dryRun: false,
  });
  assert.is(h.out.join(''), 'old stopped: not running\n');
});

test('stop: a bad -t or no name is a usage error and stops nothing', async () => {
  for (const argv of [['a', '-t', '1.5'], ['a', '-t', 'x'], []]) {
    const h = harness({});
    try {
      await cli(h, 'stop', argv);
      assert.unreachable(argv.join(' '));
    } catch (e) {
      assert.instance(e, UsageError, argv.join(' '));
    }
    assert.equal(h.calls, [], argv.join(' '));
  }
});

test("exec: the command after -- untouched, options mapped; the exit code is the command's", async () => {
  const h = harness({ exec: async () => ({ exitCode: 7, stdout: '', stderr: '' }) });
  assert.is(await cli(h, 'exec', ['web', '-e', 'A=1', '-w', '/srv', '--', 'sh', '-c', 'exit 7', '-d']), 7);
  const [verb, name, command, opts] = h.calls[0]!;
  assert.equal([verb, name, command], ['exec', 'web', ['sh', '-c', 'exit 7', '-d']]);
  assert.equal(
    { ...(opts as object), log: undefined },
    {
      detach: false,
      env: ['A=1'],
      workdir: '/srv',
      user: undefined,
      tty: false,
      stdio: 'inherit',
      log: undefined,
      dryRun: false,
    },
  );
});

const inspectFormatOneField =
  'inspect --format: one field bare (null as empty, objects as JSON); an unknown field is a usage error';
test(inspectFormatOneField, async () => {
  const h = harness({ inspect: async () => web });
  assert.is(await cli(h, 'inspect', ['web', '--format', 'pid']), 0);
  assert.is(await cli(h, 'inspect', ['web', '-f', 'exitCode']), 0);
  assert.is(await cli(h, 'inspect', ['web', '-f', 'ports']), 0);
  assert.equal(h.out, ['4121\n', '\n', '[{"host":3000,"container":8080}]\n']);
  try {
    await cli(h, 'inspect', ['web', '-f', 'nope']);
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, UsageError);
    assert.match((e as Error).message, /unknown field "nope" \(fields: name, image, status/);
  }
});

test('run -d: limits parsed before the SDK is called, the name printed; a bad limit calls nothing', async () => {
  const h = harness({ run: async (_i: never, name: never) => ({ name, exitCode: null, oomKilled: false }) });
  assert.is(await cli(h, 'run', ['img', 'web', '-d', '--memory', '256m', '--cpus', '0.5', '--', 'sleep', '9']), 0);
  const [, image, name, opts] = h.calls[0]!;
  assert.equal([image, name], ['img', 'web']);
  const o = opts as { command: string[]; detach: boolean; limits: object; network?: object };
  assert.equal(o.command, ['sleep', '9']);
  assert.is(o.detach, true);
  assert.equal(o.limits, { memory: 256 * 1024 * 1024, cpus: 0.5 });
  assert.is(o.network, undefined);
  assert.is(h.out.join(''), 'web\n');
  const bad = harness({});
  try {
    await cli(bad, 'run', ['-d', '--memory', 'lots', 'img', 'web']);
    assert.unreachable('accepted');
  } catch (e) {
    assert.match((e as Error).message, /invalid --memory "lots"/, (e as Error).message);
  }
  assert.equal(bad.calls, []);
});

test('run --health-*: durations in ms for the SDK; a bad one is a usage error before any SDK call', async () => {
  const h = harness({ run: async (_i: never, name: never) => ({ name, exitCode: null, oomKilled: false }) });
  const argv = ['-d', '--health-cmd', 'test -e /ok', '--health-interval', '1m30s', '--health-timeout=500ms'];
  assert.is(await cli(h, 'run', [...argv, '--health-retries', '2', 'img', 'web']), 0);
  const health = (h.calls[0]![3] as { health?: object }).health;
  assert.equal(health, { cmd: 'test -e /ok', intervalMs: 90_000, timeoutMs: 500, retries: 2 });
  const off = harness({ run: async (_i: never, name: never) => ({ name, exitCode: null, oomKilled: false }) });
  assert.is(await cli(off, 'run', ['-d', '--no-healthcheck', 'img', 'web']), 0);
  assert.equal((off.calls[0]![3] as { health?: object }).health, { disable: true });
  const none = harness({ run: async (_i: never, name: never) => ({ name, exitCode: null, oomKilled: false }) });
  assert.is(await cli(none, 'run', ['img', 'web', '-d']), 0);
  assert.is((none.calls[0]![3] as { health?: object }).health, undefined);
  const bad = harness({});
  try {
    await cli(bad, 'run', ['--health-start-period', '10 s', 'img', 'web']);
    assert.unreachable('accepted');
  } catch (e) {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /^--health-start-period: start-period "10 s" is not a duration/);
  }
  assert.equal(bad.calls, []);
});

test.run();
