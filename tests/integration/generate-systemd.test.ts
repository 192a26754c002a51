// Root integration test of `conductor generate systemd`: the unit for a running container is one
// systemd accepts (systemd-analyze verify), and its Exec lines, run as systemd would run them,
// remove the container, make it again with the same options, and stop it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cli, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';
import { inspect, ps, type InspectInfo } from '../../sdk/index.ts';

const { f, root, runDetached } = await runtimeSuite('gsd');

/** An Exec*= value split as systemd splits the words generate systemd writes (systemd.service(5)). */
function execWords(line: string): { ignoreFailure: boolean; argv: string[] } {
  const ignoreFailure = line.startsWith('-');
  const words = (ignoreFailure ? line.slice(1) : line).match(/"(?:\\.|[^"\\])*"|\\;|[^\s"]+/g) ?? [];
  const unquote = (w: string) =>
    w === '\\;'
      ? ';'
      : (w.startsWith('"') ? w.slice(1, -1) : w)
          .replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c)
          .replace(/%%/g, '%')
          .replace(/\$\$/g, '$');
  return { ignoreFailure, argv: words.map(unquote) };
}

/** What a run's options decide, as inspect shows it. */
const shape = (i: InspectInfo) => ({
  image: i.image,
  command: i.command,
  env: i.env,
  workdir: i.workdir,
  user: i.user,
  hostname: i.hostname,
  stopSignal: i.stopSignal,
  limits: i.limits,
  mounts: i.mounts,
  readOnly: i.readOnly,
  healthcheck: i.healthcheck,
});

test('generate systemd --files: a unit systemd-analyze accepts, whose Exec lines remake the container', async () => {
  const name = uniqueName('unit');
  const dir = mkdtempSync('/tmp/conductor-test-unit-');
  const data = realpathSync(mkdtempSync('/tmp/conductor-test-bind-'));
  try {
    await runDetached(name, ['sh', '-c', 'trap "exit 0" TERM; sleep infinity & wait'], {
      env: ['GREETING=50% off $now; "quoted"', 'MODE=prod'],
      workdir: '/srv/work',
      user: 'nobody',
      hostname: 'front',
      stopSignal: 'SIGINT',
      limits: { memory: 64 * 1024 * 1024, pids: 50 },
      mounts: [
        { type: 'bind', source: data, target: '/data', readonly: true },
        { type: 'tmpfs', target: '/scratch', options: ['size=8m'] },
      ],
      readOnly: true,
      health: { cmd: 'test -d /srv/work', intervalMs: 60_000, retries: 2 },
    });
    const before = shape(await inspect(name, { root }));
    assert.is(before.healthcheck?.retries, 2, 'run --health-retries is in its healthcheck');
    const g = await cli(f.env, ['generate', 'systemd', name, '--files', '-t', '3'], { cwd: dir });
    assert.is(g.code, 0, g.stderr);
    const file = path.join(dir, `container-${name}.service`);
    assert.is(g.stdout, `${file}\n`);
    const unit = readFileSync(file, 'utf8');
    const printed = await cli(f.env, ['generate', 'systemd', name, '-t', '3']);
    assert.is(printed.stdout, unit, 'without --files the same unit is printed');

    const v = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    assert.is(v.error, undefined, 'systemd-analyze runs (tests/debian-packages.txt installs systemd)');
    assert.is(v.status, 0, v.stderr);
    assert.is(v.stderr, '', 'no warning either');

    const lines = unit.split('\n');
    const value = (key: string) => lines.find((l) => l.startsWith(`${key}=`))!.slice(key.length + 1);
    const env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', NO_COLOR: '1' };
    for (const l of lines.filter((x) => x.startsWith('Environment='))) {
      const [k, v] = execWords(l.slice('Environment='.length)).argv[0]!.split(/=(.*)/s);
      env[k!] = v;
    }
    assert.is(env.CONDUCTOR_ROOT, root);
    const runLine = (key: string) => {
      const { ignoreFailure, argv } = execWords(value(key));
      const r = spawnSync(argv[0]!, argv.slice(1), { env, encoding: 'utf8', cwd: '/' });
      if (!ignoreFailure) assert.is(r.status, 0, `${key}: ${r.stderr}`);
      return r;
    };
    // At boot after a power loss the old record is still there: the unit removes it first.
    runLine('ExecStartPre');
    assert.not.ok(existsSync(path.join(root, '.containers', name)), 'ExecStartPre removed it');
    runLine('ExecStart');
    assert.equal(shape(await inspect(name, { root })), before, 'made again with the options it had');
    assert.is((await inspect(name, { root })).status, 'running');
    runLine('ExecStop');
    assert.not.ok(
      (await ps({ root, all: true })).some((c) => c.name === name),
      'ExecStop removed it',
    );
    runLine('ExecStopPost');
  } finally {
    await stopQuiet(root, name);
    rmSync(dir, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  }
});

test('generate systemd: a missing container is CONTAINER_NOT_FOUND; an unknown generator a usage error', async () => {
  const missing = await cli(f.env, ['generate', 'systemd', uniqueName('none')]);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, 'does not exist');
  const other = await cli(f.env, ['generate', 'kube', 'x']);
  assert.is(other.code, 2);
  assert.match(other.stderr, 'unknown generator "kube"');
});

test.run();
