// Root integration tests of the image config: an image built with every instruction runs with its
// ENV/WORKDIR/USER/ENTRYPOINT/CMD; run/exec overrides; USER drops privileges (caps, no_new_privs,
// setuid) where root-in-image keeps them; STOPSIGNAL; FROM a local image; multi-stage; --target;
// --build-arg; a CMD-only rebuild; bad input leaves no image.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildImage,
  exec,
  images,
  inspectImage,
  isConductorError,
  run,
  stop,
  type BuildOptions,
  type ImageInfo,
} from '../../sdk/index.ts';
import { PACKAGE_ROOT } from '../helpers/internals.ts';
import { captureLog } from '../helpers/capture-log.ts';
import { until } from '../helpers/runtime-fixture.ts';
import { makeTempRoot, uniqueName } from '../helpers/temp-root.ts';

const tmp = makeTempRoot();
const ROOT = tmp.root;
const ctxDir = mkdtempSync('/tmp/conductor-test-imgcfg-');
const started: string[] = [];

test.after(async () => {
  for (const n of started) await stop(n, { root: ROOT, timeoutSeconds: 1, ignoreMissing: true }).catch(() => {});
  await tmp.cleanup();
  rmSync(ctxDir, { recursive: true, force: true });
});

const FULL = (cmd: string) => `# every instruction conductor supports
ARG BASE=debian:bookworm
FROM \${BASE} AS tools
ARG GREETING=hello
RUN mkdir -p /out && echo "$GREETING" > /out/greeting && printf '#!/bin/sh\\necho tool-ran "$@"\\n' > /out/tool && \
chmod 755 /out/tool

FROM debian:bookworm
ARG VERSION=1
ENV APP_HOME=/srv/app MODE="prod mode"
LABEL org.example.version=$VERSION maintainer="me"
WORKDIR $APP_HOME
RUN useradd --uid 1234 --user-group --create-home app && groupadd -g 2345 extra && usermod -aG extra app \\
 && cp /usr/bin/id /usr/local/bin/suid-id && chmod u+s /usr/local/bin/suid-id && echo secret > /root-only && \
chmod 600 /root-only
COPY --chown=app:app data.txt ./
COPY --from=tools /out/ /opt/tools/
SHELL ["/bin/bash", "-c"]
RUN [[ -n "$BASH_VERSION" ]] && echo "version=$VERSION mode=$MODE pwd=$(pwd)" > built.txt
USER app
RUN id -un > /tmp/run-as
EXPOSE 8080 53/udp
STOPSIGNAL SIGUSR1
ENTRYPOINT ["/opt/tools/tool"]
${cmd}
`;

function context(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(ctxDir, 'c-'));
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
  return dir;
}

async function build(
  name: string,
  dir: string,
  opts: BuildOptions = {},
): Promise<{ img: ImageInfo; log: string; ms: number }> {
  const cap = captureLog();
  const t0 = performance.now();
  try {
    const img = await buildImage(name, {
      root: ROOT,
      file: path.join(dir, 'Conductorfile'),
      context: dir,
      log: cap.log,
      ...opts,
    });
    return { img, log: cap.text(), ms: performance.now() - t0 };
  } catch (e) {
    if (e instanceof Error) e.message += `\n--- build log ---\n${cap.text()}`;
    throw e;
  }
}

/** Attached run, output collected, container removed. */
async function runOut(
  image: string,
  opts: Parameters<typeof run>[2] = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const c = await run(image, uniqueName('r'), { root: ROOT, rm: true, output: 'collect', ...opts });
  return { code: c.exitCode, out: (c.stdout ?? '').trim(), err: (c.stderr ?? '').trim() };
}

const FULL_CTX = context({ Conductorfile: FULL('CMD ["default-arg"]'), 'data.txt': 'data\n' });
let full: ImageInfo;

test('an image built with every instruction records its config', async () => {
  const b = await build('full', FULL_CTX);
  full = b.img;
  const c = full.config!;
  assert.equal(c.env, [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'APP_HOME=/srv/app',
    'MODE=prod mode',
  ]);
  assert.is(c.workdir, '/srv/app');
  assert.is(c.user, 'app');
  assert.equal(c.exposedPorts, ['8080/tcp', '53/udp']);
  assert.equal(c.labels, { 'org.example.version': '1', maintainer: 'me' });
  assert.is(c.stopSignal, 'SIGUSR1');
  assert.equal(c.entrypoint, ['/opt/tools/tool']);
  assert.equal(c.cmd, ['default-arg']);
  assert.equal(c.shell, ['/bin/bash', '-c']);
  // Only RUN and COPY made layers: 3 RUN + 2 COPY in the last stage.
  assert.is(full.layers.length, 5);
  assert.match(full.id!, /^sha256:[0-9a-f]{64}$/);
  assert.is(full.history!.filter((h) => h.layer).length, 5);
  assert.ok(full.history!.some((h) => h.instruction === 'CMD ["default-arg"]' && !h.layer));
  const info = await inspectImage('full', { root: ROOT });
  assert.is(info.layers.length, 5);
  assert.is(info.base, 'debian:bookworm');
  assert.match(b.log, /Built "full" in [0-9.]+ s: \d+ of 6 RUN\/COPY steps from cache/);
});

test('RUN steps saw ENV, ARG, WORKDIR, SHELL and USER; COPY --chown and COPY --from landed', async () => {
  const r = await runOut('full', {
    entrypoint: [],
    command: ['sh', '-c', 'cat built.txt /tmp/run-as; stat -c %U:%G data.txt; cat /opt/tools/greeting'],
  });
  assert.is(r.out, 'version=1 mode=prod mode pwd=/srv/app\napp\napp:app\nhello', r.err);
});

test('run with no command: ENTRYPOINT + CMD; a run command replaces CMD only', async () => {
  assert.is((await runOut('full')).out, 'tool-ran default-arg');
  assert.is((await runOut('full', { command: ['x', 'y z'] })).out, 'tool-ran x y z');
});

test('run: ENV, WORKDIR and USER from the image, HOME from its passwd, groups from its /etc/group', async () => {
  const r = await runOut('full', {
    entrypoint: [],
    command: ['sh', '-c', 'echo "$MODE|$APP_HOME|$HOME"; pwd; id -un; id -G'],
  });
  assert.is(r.out, 'prod mode|/srv/app|/home/app\n/srv/app\napp\n1234 2345', r.err);
});

test('run overrides: -e adds and replaces, -w, -u name, -u uid:gid (no passwd entry), --entrypoint', async () => {
  const r = await runOut('full', {
    entrypoint: [],
    env: ['MODE=dev', 'EXTRA=1'],
    workdir: '/tmp',
    user: 'root',
    command: ['sh', '-c', 'echo "$MODE|$EXTRA|$APP_HOME|$HOME"; pwd; id -un'],
  });
  assert.is(r.out, 'dev|1|/srv/app|/root\n/tmp\nroot', r.err);
  const n = await runOut('full', {
    entrypoint: [],
    user: '4321:4322',
    command: ['sh', '-c', 'id -u; id -g; id -G; echo "$HOME"'],
  });
  assert.is(n.out, '4321\n4322\n4322\n/', n.err);
  assert.is((await runOut('full', { entrypoint: ['/bin/echo'], command: ['from', 'echo'] })).out, 'from echo');
});

const uSERDropsEveryCapability =
  'USER drops every capability and keeps no_new_privs: setuid does not raise it; root in the image keeps its set';
test(uSERDropsEveryCapability, async () => {
  const probe = [
    'sh',
    '-c',
    'grep -E "^(CapInh|CapPrm|CapEff|CapAmb|NoNewPrivs)" /proc/self/status | tr -s "\\t" " "; ' +
      'suid-id -u; cat /root-only 2>&1 || true',
  ];
  const user = await runOut('full', { entrypoint: [], command: probe });
  assert.is(
    user.out,
    'CapInh: 0000000000000000\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\n' +
      'CapAmb: 0000000000000000\nNoNewPrivs: 1\n1234\ncat: /root-only: Permission denied',
    user.err,
  );
  const root = await runOut('full', { entrypoint: [], user: '0', command: probe });
  const lines = root.out.split('\n');
  // Root keeps the default set (not all, not none); the setuid bit is moot; root reads its file.
  assert.is(lines[2], 'CapEff: 00000000800405fb');
  assert.is(lines[4], 'NoNewPrivs: 1');
  assert.is(lines.slice(5).join('\n'), '0\nsecret');
});

test('an unknown user is a clear error and leaves no container', async () => {
  const name = uniqueName('nouser');
  try {
    await run('full', name, { root: ROOT, detach: true, user: 'nobody-here' });
    assert.unreachable('run should fail');
  } catch (e) {
    assert.ok(isConductorError(e), String(e));
    assert.match(
      (e as Error).message,
      /unable to find user "nobody-here": no matching entry in the image's \/etc\/passwd/,
    );
  }
  assert.equal(
    readdirSync(path.join(ROOT, '.containers')).filter((n) => n === name),
    [],
  );
  const g = await runOut('full', { entrypoint: [], user: 'app:nogroup-here', command: ['true'] });
  assert.is(g.code, 125);
  assert.match(g.err, /unable to find group "nogroup-here"/);
});

test("exec inherits the container's ENV, USER and WORKDIR; each is overridable", async () => {
  const name = uniqueName('ex');
  started.push(name);
  await run('full', name, { root: ROOT, detach: true, entrypoint: [], command: ['sleep', 'infinity'] });
  const a = await exec(name, ['sh', '-c', 'echo "$MODE"; pwd; id -un'], { root: ROOT });
  assert.is(a.stdout.trim(), 'prod mode\n/srv/app\napp', a.stderr);
  const b = await exec(name, ['sh', '-c', 'echo "$MODE"; pwd; id -un'], {
    root: ROOT,
    env: ['MODE=x'],
    workdir: '/',
    user: 'root',
  });
  assert.is(b.stdout.trim(), 'x\n/\nroot', b.stderr);
  await stop(name, { root: ROOT, timeoutSeconds: 1 });
});

test("stop sends the image's STOPSIGNAL (the process sees SIGUSR1, not SIGTERM); stop --signal overrides", async () => {
  // PID 1 ignores a signal it has no handler for: stop only once the traps are set (/trapped).
  const trap = ['bash', '-c', 'trap "exit 42" USR1; trap "exit 43" TERM; : > /trapped; while :; do sleep 0.05; done'];
  const trapped = (name: string) =>
    until('the traps', async () => (await exec(name, ['test', '-e', '/trapped'], { root: ROOT })).exitCode === 0);
  const a = uniqueName('sig');
  started.push(a);
  await run('full', a, { root: ROOT, detach: true, entrypoint: [], user: '0', command: trap });
  await trapped(a);
  const r = await stop(a, { root: ROOT, timeoutSeconds: 5 });
  assert.is(r.exitCode, 42);
  assert.is(r.signal, 'SIGUSR1');
  assert.not.ok(r.killed);
  const b = uniqueName('sig');
  started.push(b);
  await run('full', b, { root: ROOT, detach: true, entrypoint: [], user: '0', command: trap });
  await trapped(b);
  assert.is((await stop(b, { root: ROOT, timeoutSeconds: 5, signal: 'TERM' })).exitCode, 43);
});

test('a CMD-only change rebuilds in under a second with every RUN and COPY cached', async () => {
  const dir = context({ Conductorfile: FULL('CMD ["other"]'), 'data.txt': 'data\n' });
  const b = await build('full-cmd', dir);
  assert.ok(b.ms < 1000, `took ${b.ms.toFixed(0)} ms`);
  assert.is((b.log.match(/ ---> Using cache/g) ?? []).length, 6, b.log);
  assert.not.match(b.log, / ---> [0-9a-f]{12} \(/);
  assert.equal(b.img.layers, full.layers);
  assert.equal(b.img.config!.cmd, ['other']);
  assert.is((await runOut('full-cmd')).out, 'tool-ran other');
});

function du(dir: string): number {
  return Number(spawnSync('du', ['-sb', dir], { encoding: 'utf8' }).stdout.split('\t')[0]);
}

test('FROM a local image builds on its layers (shared on disk, not copied) and inherits its config', async () => {
  const layersDir = path.join(ROOT, '.layers');
  const before = readdirSync(layersDir).filter((n) => !n.startsWith('.'));
  const sizeBefore = du(layersDir);
  const b = await build(
    'child',
    context({ Conductorfile: 'FROM full\nUSER root\nRUN echo child > /child\nUSER app\nCMD ["child-arg"]\n' }),
  );
  const after = readdirSync(layersDir).filter((n) => !n.startsWith('.'));
  assert.equal(b.img.layers.slice(0, full.layers.length), full.layers);
  assert.is(b.img.layers.length, full.layers.length + 1);
  assert.is(after.length, before.length + 1);
  assert.ok(du(layersDir) - sizeBefore < 1_000_000, `layers grew by ${du(layersDir) - sizeBefore} bytes`);
  assert.is(b.img.parent, 'full');
  assert.is(b.img.config!.user, 'app');
  assert.equal(b.img.config!.entrypoint, ['/opt/tools/tool']);
  assert.is((await runOut('child')).out, 'tool-ran child-arg');
  assert.is((await runOut('child', { entrypoint: [], command: ['cat', '/child'] })).out, 'child');
});

test('--target stops at a stage; --build-arg reaches ARGs; an unknown one is a warning', async () => {
  const t = await build('tools-only', FULL_CTX, { target: 'tools', buildArgs: { GREETING: 'bonjour', NOPE: '1' } });
  assert.match(t.log, /warning: build arg "NOPE" is not declared by any ARG/);
  assert.is(t.img.layers.length, 1);
  assert.is(t.img.config!.cmd, undefined);
  assert.is((await runOut('tools-only', { command: ['cat', '/out/greeting'] })).out, 'bonjour');
  const v = await build('full-v7', FULL_CTX, { buildArgs: { VERSION: '7' } });
  assert.is(v.img.config!.labels['org.example.version'], '7');
  assert.match((await runOut('full-v7', { entrypoint: [], command: ['cat', 'built.txt'] })).out, /^version=7 /);
});

test('bad instructions fail with file:line and leave no image', async () => {
  const cases: Array<[string, RegExp]> = [
    ['FROM debian:bookworm\nENV A=1\nADD http://example.com/x /x\n', /Conductorfile:3: not supported: ADD/],
    ['FROM debian:bookworm\nONBUILD RUN true\n', /Conductorfile:2: not supported: ONBUILD/],
    ['FROM debian:bookworm\nEXPOSE 99999\n', /Conductorfile:2: EXPOSE "99999" is not a port/],
    ['FROM debian:bookworm\nSTOPSIGNAL SIGNOPE\n', /Conductorfile:2: STOPSIGNAL "SIGNOPE" is not a signal/],
    ['FROM no-such-image\n', /Conductorfile:1: image "no-such-image" not found/],
    [
      'FROM debian:bookworm\nCOPY --from=later /a /b\nFROM debian:bookworm AS later\n',
      /Conductorfile:2: COPY --from=later/,
    ],
    ['FROM debian:bookworm\nUSER ghost\nRUN true\n', /Conductorfile:3: "RUN true" failed with exit code 125/],
  ];
  for (const [text, message] of cases) {
    const name = uniqueName('bad');
    const dir = context({ Conductorfile: text });
    try {
      await build(name, dir);
      assert.unreachable(`built: ${text}`);
    } catch (e) {
      assert.ok(isConductorError(e), String(e));
      assert.match((e as Error).message, message);
    }
    assert.not.ok(
      (await images({ root: ROOT })).some((i) => i.name === name),
      text,
    );
  }
});

test('CLI: build -q prints only the image id; image inspect --format reads the config', async () => {
  const cli = path.join(PACKAGE_ROOT, 'dist', 'conductor.cjs');
  const env = { ...process.env, CONDUCTOR_ROOT: ROOT };
  const q = spawnSync(
    'node',
    [cli, 'build', '-q', 'full-q', path.join(FULL_CTX, 'Conductorfile'), '--context', FULL_CTX],
    { encoding: 'utf8', env },
  );
  assert.is(q.status, 0, q.stderr);
  assert.is(q.stdout, `${full.id}\n`);
  const f = spawnSync('node', [cli, 'image', 'inspect', 'full', '--format', 'config.cmd'], { encoding: 'utf8', env });
  assert.is(f.stdout, '["default-arg"]\n', f.stderr);
  const i = spawnSync('node', [cli, 'inspect', 'full', '--format', 'config.stopSignal'], { encoding: 'utf8', env });
  assert.is(i.stdout, 'SIGUSR1\n', i.stderr);
});

test.run();
