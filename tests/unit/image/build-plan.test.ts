import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planBuild } from '../../../sdk/image/build-plan.ts';
import {
  chainKeys,
  makesLayer,
  unusedBuildArgs,
  type BuildPlan,
  type BuildStep,
  type PlanOptions,
} from '../../../sdk/image/plan-steps.ts';
import { parseDockerfile } from '../../../sdk/image/conductorfile-syntax.ts';
import { defaultImageConfig, DEFAULT_PATH } from '../../../sdk/image/image-config.ts';
import { isConductorError, type ErrorCode } from '../../../sdk/errors.ts';
import type { ImageConfig } from '../../../sdk/types.ts';

const PATH = `PATH=${DEFAULT_PATH}`;
const plan = (source: string, opts?: PlanOptions): BuildPlan => planBuild(parseDockerfile(source), opts);
const last = (source: string, opts?: PlanOptions): ImageConfig => plan(source, opts).stages.at(-1)!.config;
const steps = (source: string, opts?: PlanOptions): BuildStep[] => plan(source, opts).stages.at(-1)!.steps;
const run = (source: string, opts?: PlanOptions): Extract<BuildStep, { kind: 'RUN' }> =>
  steps(source, opts)
    .filter((s) => s.kind === 'RUN')
    .at(-1) as Extract<BuildStep, { kind: 'RUN' }>;
const copy = (source: string, opts?: PlanOptions): Extract<BuildStep, { kind: 'COPY' }> =>
  steps(source, opts)
    .filter((s) => s.kind === 'COPY')
    .at(-1) as Extract<BuildStep, { kind: 'COPY' }>;

function failure(source: string, opts?: PlanOptions, code: ErrorCode = 'PARSE_ERROR'): string {
  try {
    plan(source, opts);
  } catch (e) {
    assert.ok(isConductorError(e, code), `expected ${code}, got ${String(e)}`);
    return (e as Error).message;
  }
  return assert.unreachable('expected an error') as never;
}

const F = 'FROM debian:bookworm\n';

test('a debootstrap base starts from the default config: PATH, /bin/sh -c, nothing else', () => {
  const p = plan('FROM debian:bookworm');
  assert.equal(p.stages[0]!.base, { kind: 'base', base: { distro: 'debian', suite: 'bookworm' } });
  assert.equal(p.stages[0]!.config, {
    env: [PATH],
    exposedPorts: [],
    labels: {},
    shell: ['/bin/sh', '-c'],
    volumes: [],
  });
  assert.equal(p.stages[0]!.steps, []);
  assert.equal(p.warnings, []);
});

test('ENV: k=v pairs, quotes and escapes, later values replace in place', () => {
  const c = last(`${F}ENV A=1 B="v w" C='$HOME' D=\\$HOME E=x\\ y F=\nENV A=2 PATH=/opt/bin:$PATH`);
  assert.equal(c.env, ['PATH=/opt/bin:' + DEFAULT_PATH, 'A=2', 'B=v w', 'C=$HOME', 'D=$HOME', 'E=x y', 'F=']);
});

test('ENV: one instruction sees the values from before it (Docker: abc=bye def=$abc gives the old abc)', () => {
  const c = last(`${F}ENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc`);
  assert.equal(c.env.slice(1), ['abc=bye', 'def=hello', 'ghi=bye']);
});

test('ENV legacy form: the rest of the line is the value (quotes removed), with a warning', () => {
  const p = plan(`${F}ENV GREETING hello  "big world"`);
  assert.equal(p.stages[0]!.config.env.slice(1), ['GREETING=hello  big world']);
  assert.equal(p.warnings, ['Conductorfile:2: "ENV key value" is the legacy form; write ENV key=value']);
});

test('ENV and every metadata step: canonical text after expansion', () => {
  const texts = steps(
    `${F}ARG V=1\nENV A=$V B="x y"\nLABEL "com.example/v"=$V\nWORKDIR /srv/$V\nUSER app:$V\nEXPOSE 80 $V/udp\n` +
      `STOPSIGNAL $V\nVOLUME ["/data", "/$V"]\nSHELL ["/bin/bash", "-c"]\nCMD echo $V\nENTRYPOINT ["/e"]`,
  ).map((s) => s.text);
  assert.equal(texts, [
    'ARG ["V=1"]',
    'ENV ["A=1","B=x y"]',
    'LABEL ["com.example/v=1"]',
    'WORKDIR /srv/1',
    'USER app:1',
    'EXPOSE ["80/tcp","1/udp"]',
    'STOPSIGNAL 1',
    'VOLUME ["/data","/1"]',
    'SHELL ["/bin/bash","-c"]',
    'CMD ["/bin/bash","-c","echo $V"]',
    'ENTRYPOINT ["/e"]',
  ]);
});

test('LABEL: pairs and legacy form; later labels replace', () => {
  const c = last(`${F}LABEL a=1 "b c"="two words" d=\nLABEL a=3\nLABEL legacy value here`);
  assert.equal(c.labels, { a: '3', 'b c': 'two words', d: '', legacy: 'value here' });
});

test('WORKDIR: absolute, relative to the previous one, normalised, with variables', () => {
  assert.is(last(`${F}WORKDIR /a\nWORKDIR b\nWORKDIR c/../d/`).workdir, '/a/b/d');
  assert.is(last(`${F}WORKDIR app`).workdir, '/app');
  assert.is(last(`${F}ENV DIR=/srv\nWORKDIR $DIR/x`).workdir, '/srv/x');
  assert.is(last(`${F}WORKDIR "/my app"`).workdir, '/my app');
  assert.is(last(`${F}WORKDIR /a\nWORKDIR ../../..`).workdir, '/');
  assert.is(last(F).workdir, undefined);
});

test('USER: name, uid, with group; variables expand', () => {
  assert.is(last(`${F}USER app`).user, 'app');
  assert.is(last(`${F}USER 1000:1000`).user, '1000:1000');
  assert.is(last(`${F}ARG U=www\nUSER $U:$U`).user, 'www:www');
});

test('CMD and ENTRYPOINT: exec form as written, shell form behind the shell', () => {
  assert.equal(last(`${F}CMD ["nginx", "-g", "daemon off;"]`).cmd, ['nginx', '-g', 'daemon off;']);
  assert.equal(last(`${F}CMD nginx -g "daemon off;"`).cmd, ['/bin/sh', '-c', 'nginx -g "daemon off;"']);
  assert.equal(last(`${F}ENTRYPOINT exec top -b`).entrypoint, ['/bin/sh', '-c', 'exec top -b']);
  assert.equal(last(`${F}ENTRYPOINT ["top", "-b"]`).entrypoint, ['top', '-b']);
  // CMD [] clears to an empty CMD; ENTRYPOINT [] removes it.
  assert.equal(last(`${F}CMD ["x"]\nCMD []`).cmd, []);
  assert.is(last(`${F}ENTRYPOINT ["x"]\nENTRYPOINT []`).entrypoint, undefined);
  // Never substituted: the shell does that when the container starts.
  assert.equal(last(`${F}ENV X=1\nCMD echo $X`).cmd, ['/bin/sh', '-c', 'echo $X']);
});

test('ENTRYPOINT drops a CMD inherited from the base, not one set in the same stage', () => {
  const base = { config: { ...defaultImageConfig(), cmd: ['base-cmd'] } };
  const lookupImage = (n: string) => (n === 'parent' ? base : undefined);
  assert.is(last('FROM parent\nENTRYPOINT ["/e"]', { lookupImage }).cmd, undefined);
  assert.equal(last('FROM parent\nCMD ["mine"]\nENTRYPOINT ["/e"]', { lookupImage }).cmd, ['mine']);
  assert.equal(last('FROM parent\nENTRYPOINT ["/e"]\nCMD ["after"]', { lookupImage }).cmd, ['after']);
  assert.equal(last('FROM parent\nRUN true', { lookupImage }).cmd, ['base-cmd']);
});

test('a second CMD or ENTRYPOINT in a stage warns; the last wins', () => {
  const p = plan(`${F}CMD ["a"]\nCMD ["b"]\nENTRYPOINT ["x"]`);
  assert.equal(p.stages[0]!.config.cmd, ['b']);
  assert.equal(p.warnings, ['Conductorfile:3: CMD replaces the one on line 2; only the last in a stage takes effect']);
});

test('SHELL applies to later shell-form RUN, CMD and ENTRYPOINT, not earlier ones', () => {
  const s = steps(
    `${F}RUN echo one\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\n` +
      `RUN echo two | cat\nCMD start\nENTRYPOINT run\nRUN ["exec", "form"]`,
  );
  assert.equal((s[0] as Extract<BuildStep, { kind: 'RUN' }>).argv, ['/bin/sh', '-c', 'echo one']);
  assert.equal((s[2] as Extract<BuildStep, { kind: 'RUN' }>).argv, [
    '/bin/bash',
    '-eo',
    'pipefail',
    '-c',
    'echo two | cat',
  ]);
  assert.equal(s[3]!.config.cmd, ['/bin/bash', '-eo', 'pipefail', '-c', 'start']);
  assert.equal(s[4]!.config.entrypoint, ['/bin/bash', '-eo', 'pipefail', '-c', 'run']);
  assert.equal((s[5] as Extract<BuildStep, { kind: 'RUN' }>).argv, ['exec', 'form']);
  assert.equal(s[5]!.config.shell, ['/bin/bash', '-eo', 'pipefail', '-c']);
});

const eXPOSEDefaultTcpProtocols =
  'EXPOSE: default tcp, protocols lower-cased, ranges expanded, variables may hold several ports, no duplicates';
test(eXPOSEDefaultTcpProtocols, () => {
  assert.equal(last(`${F}EXPOSE 80 53/UDP 9000-9002/tcp\nENV P="8080 8443/sctp"\nEXPOSE $P 80/tcp`).exposedPorts, [
    '80/tcp',
    '53/udp',
    '9000/tcp',
    '9001/tcp',
    '9002/tcp',
    '8080/tcp',
    '8443/sctp',
  ]);
});

test('STOPSIGNAL: names, numbers and real-time signals, kept as written', () => {
  assert.is(last(`${F}STOPSIGNAL SIGQUIT`).stopSignal, 'SIGQUIT');
  assert.is(last(`${F}STOPSIGNAL 9`).stopSignal, '9');
  assert.is(last(`${F}STOPSIGNAL SIGRTMIN+3`).stopSignal, 'SIGRTMIN+3');
  assert.is(last(`${F}ARG S=term\nSTOPSIGNAL $S`).stopSignal, 'term');
});

test('VOLUME: JSON or blank-separated; metadata only', () => {
  const p = plan(`${F}VOLUME /data /logs\nVOLUME ["/data", "/cache dir"]`);
  assert.equal(p.stages[0]!.config.volumes, ['/data', '/logs', '/cache dir']);
  assert.equal(p.stages[0]!.steps.map(makesLayer), [false, false]);
});

test('RUN: text never expanded; its environment is ENV plus in-scope ARGs; proxies apart', () => {
  const r = run(`${F}ARG VERSION=1.2\nENV MODE=prod\nUSER app\nWORKDIR /srv\nRUN echo $VERSION $MODE`, {
    buildArgs: { HTTP_PROXY: 'http://proxy:3128', no_proxy: 'localhost' },
  });
  assert.is(r.text, 'RUN echo $VERSION $MODE');
  assert.equal(r.argv, ['/bin/sh', '-c', 'echo $VERSION $MODE']);
  assert.equal(r.env, [PATH, 'VERSION=1.2', 'MODE=prod']);
  assert.equal(r.proxyEnv, ['HTTP_PROXY=http://proxy:3128', 'no_proxy=localhost']);
  assert.is(r.workdir, '/srv');
  assert.is(r.user, 'app');
  // The ARG is not part of the image.
  assert.equal(r.config.env, [PATH, 'MODE=prod']);
  // A declared proxy ARG is an ordinary one (in the environment and, through its ARG step, the key).
  const declared = run(`${F}ARG HTTP_PROXY\nRUN true`, { buildArgs: { HTTP_PROXY: 'http://p' } });
  assert.equal(declared.env, [PATH, 'HTTP_PROXY=http://p']);
  assert.equal(declared.proxyEnv, []);
});

test('ENV and ARG share one namespace: the later one wins for expansion and RUN, only ENV reaches the image', () => {
  const r = run(`${F}ARG V=arg\nENV V=env\nRUN a\nARG V=arg2\nRUN b`);
  assert.equal(r.env, [PATH, 'V=arg2']);
  assert.equal(r.config.env, [PATH, 'V=env']);
  // Docker's documented example: ENV after ARG overrides the build arg.
  assert.equal(
    run(`${F}ARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nRUN echo $CONT_IMG_VER`, { buildArgs: { CONT_IMG_VER: 'v2' } })
      .env,
    [PATH, 'CONT_IMG_VER=v1.0.0'],
  );
  assert.equal(
    last(`${F}ARG CONT_IMG_VER\nENV CONT_IMG_VER=\${CONT_IMG_VER:-v1.0.0}`, { buildArgs: { CONT_IMG_VER: 'v2' } }).env,
    [PATH, 'CONT_IMG_VER=v2'],
  );
  assert.equal(last(`${F}ARG CONT_IMG_VER\nENV CONT_IMG_VER=\${CONT_IMG_VER:-v1.0.0}`).env, [
    PATH,
    'CONT_IMG_VER=v1.0.0',
  ]);
});

test('ARG: build arg beats default; default expands; ARG without value and without build arg is unset', () => {
  const s = steps(`${F}ARG A=1 B=$A C\nARG D=\${C:-none}\nENV OUT="$A $B [$C] $D"`, { buildArgs: { B: 'given' } });
  assert.equal(
    s.map((x) => x.text),
    ['ARG ["A=1","B=given","C"]', 'ARG ["D=none"]', 'ENV ["OUT=1 given [] none"]'],
  );
  // Within one ARG, a later name sees an earlier one (unlike ENV).
  assert.equal(last(`${F}ARG A=1 B=$A\nENV B=$B`).env.at(-1), 'B=1');
});

test('ARG before FROM: seen by FROM only, unless redeclared (without a value) in the stage', () => {
  const src =
    'ARG SUITE=trixie\nARG TAG=$SUITE-x\nFROM debian:$SUITE\nENV S=[$SUITE]\nARG SUITE\nARG TAG\nENV S2=$SUITE T=$TAG';
  const p = plan(src);
  assert.equal(p.stages[0]!.base, { kind: 'base', base: { distro: 'debian', suite: 'trixie' } });
  assert.is(p.stages[0]!.text, 'FROM debian:trixie');
  assert.equal(p.stages[0]!.config.env.slice(1), ['S=[]', 'S2=trixie', 'T=trixie-x']);
  // A build arg overrides the global default, in FROM and in the redeclaration.
  const q = plan(src, { buildArgs: { SUITE: 'bullseye' } });
  assert.equal(q.stages[0]!.base, { kind: 'base', base: { distro: 'debian', suite: 'bullseye' } });
  assert.equal(q.stages[0]!.config.env.slice(1), ['S=[]', 'S2=bullseye', 'T=bullseye-x']);
  // A redeclaration with its own default keeps that default.
  assert.equal(last('ARG V=global\nFROM debian:bookworm\nARG V=local\nENV V=$V').env.at(-1), 'V=local');
});

test('ARG scope ends with the stage; a stage FROM an earlier one inherits its ARGs and config', () => {
  const p = plan(
    'FROM debian:bookworm AS parent\nARG FOO=123\nENV E=1\nWORKDIR /p\n' +
      'FROM parent AS child\nRUN echo\nFROM debian:bookworm AS other\nRUN echo',
  );
  const child = p.stages[1]!.steps[0] as Extract<BuildStep, { kind: 'RUN' }>;
  const other = p.stages[2]!.steps[0] as Extract<BuildStep, { kind: 'RUN' }>;
  assert.equal(p.stages[1]!.base, { kind: 'stage', index: 0 });
  assert.equal(child.env, [PATH, 'FOO=123', 'E=1']);
  assert.is(child.workdir, '/p');
  assert.equal(other.env, [PATH]);
  assert.is(other.workdir, '/');
});

test('COPY: destination against WORKDIR, trailing "/" and "." meaning a directory; variables expand', () => {
  const src = (d: string): string => `${F}WORKDIR /srv/app\nENV CFG=conf\nCOPY $CFG/a.json ${d}`;
  assert.is(copy(src('settings.json')).dest, '/srv/app/settings.json');
  assert.is(copy(src('etc/')).dest, '/srv/app/etc/');
  assert.is(copy(src('.')).dest, '/srv/app/');
  assert.is(copy(src('./')).dest, '/srv/app/');
  assert.is(copy(src('/abs//x/')).dest, '/abs/x/');
  assert.is(copy(src('../../../../up')).dest, '/up');
  assert.is(copy(`${F}COPY a /`).dest, '/');
  const c = copy(src('x'));
  assert.equal(c.sources, ['conf/a.json']);
  assert.is(c.text, 'COPY conf/a.json x');
  assert.equal(c.from, { kind: 'context' });
});

test('COPY --chown expands and lands in the text; --from of a stage reads absolute paths in its root', () => {
  const p = plan(
    'FROM debian:bookworm AS build\nRUN make\nFROM debian:bookworm\nARG U=app\n' +
      'COPY --from=build --chown=$U:$U out/bin ../../etc/x /opt/',
  );
  const c = p.stages[1]!.steps[1] as Extract<BuildStep, { kind: 'COPY' }>;
  assert.equal(c.from, { kind: 'stage', index: 0 });
  assert.is(c.chown, 'app:app');
  assert.equal(c.sources, ['/out/bin', '/etc/x']);
  assert.is(c.dest, '/opt/');
  assert.is(c.text, 'COPY --from=0 --chown=app:app out/bin ../../etc/x /opt/');
  assert.equal(p.stages[1]!.dependsOn, [0]);
});

test('COPY --from: stage by name (any case) or index, a debootstrap base, or a local image', () => {
  const lookupImage = (n: string) => (n === 'tools' ? {} : undefined);
  const p = plan(
    'FROM debian:bookworm AS Build\nFROM debian:bookworm\nCOPY --from=BUILD /a /a\n' +
      'COPY --from=0 /b /b\nCOPY --from=ubuntu:noble /etc/os-release /u\nCOPY --from=tools /bin/t /t',
    { lookupImage },
  );
  assert.equal(
    p.stages[1]!.steps.map((s) => (s as Extract<BuildStep, { kind: 'COPY' }>).from),
    [
      { kind: 'stage', index: 0 },
      { kind: 'stage', index: 0 },
      { kind: 'base', base: { distro: 'ubuntu', suite: 'noble' } },
      { kind: 'image', name: 'tools' },
    ],
  );
  assert.equal(
    p.stages[1]!.steps.map((s) => s.text),
    [
      'COPY --from=0 /a /a',
      'COPY --from=0 /b /b',
      'COPY --from=ubuntu:noble /etc/os-release /u',
      'COPY --from=tools /bin/t /t',
    ],
  );
});

test('a local image base brings its config; images that predate config get the default; PATH is always set', () => {
  const config: ImageConfig = {
    ...defaultImageConfig(),
    env: ['LANG=C.UTF-8'],
    workdir: '/app',
    user: 'app',
    cmd: ['serve'],
    shell: ['/bin/bash', '-c'],
  };
  const lookupImage = (n: string) => (n === 'web-base' ? { config } : n === 'old' ? {} : undefined);
  const p = plan('FROM web-base\nWORKDIR sub\nRUN x', { lookupImage });
  assert.equal(p.stages[0]!.base, { kind: 'image', name: 'web-base' });
  assert.is(p.stages[0]!.text, 'FROM web-base');
  const r = p.stages[0]!.steps[1] as Extract<BuildStep, { kind: 'RUN' }>;
  assert.equal(r.env, ['LANG=C.UTF-8', PATH]);
  assert.is(r.workdir, '/app/sub');
  assert.is(r.user, 'app');
  assert.equal(r.argv, ['/bin/bash', '-c', 'x']);
  assert.equal(p.stages[0]!.config.cmd, ['serve']);
  assert.equal(last('FROM old', { lookupImage }), defaultImageConfig());
  // The caller's config is not mutated.
  assert.equal(config.env, ['LANG=C.UTF-8']);
});

const stagesAStageName =
  'stages: a stage name shadows an image of the same name; later stages are not bases; order skips unused stages';
test(stagesAStageName, () => {
  const lookupImage = (n: string) => (n === 'later' || n === 'base' ? {} : undefined);
  const p = plan(
    'FROM debian:bookworm AS base\nFROM base AS a\nFROM later AS b\n' +
      'FROM debian:bookworm AS unused\nFROM debian:bookworm AS later\nCOPY --from=a /x /x',
    { lookupImage },
  );
  assert.equal(
    p.stages.map((s) => s.base),
    [
      { kind: 'base', base: { distro: 'debian', suite: 'bookworm' } },
      { kind: 'stage', index: 0 },
      { kind: 'image', name: 'later' },
      { kind: 'base', base: { distro: 'debian', suite: 'bookworm' } },
      { kind: 'base', base: { distro: 'debian', suite: 'bookworm' } },
    ],
  );
  assert.equal(
    p.stages.map((s) => s.name),
    ['base', 'a', 'b', 'unused', 'later'],
  );
  assert.is(p.target, 4);
  assert.equal(p.order, [0, 1, 4]);
});

test('cache keys chain over every step: a CMD after the last RUN changes no layer key, an ENV before it does', () => {
  const hash = (parent: string, step: BuildStep): string =>
    createHash('sha256').update(`${parent}\n${step.text}`).digest('hex');
  const layerKeys = (src: string): string[] => {
    const s = steps(src);
    return chainKeys('base', s, hash).filter((_, i) => makesLayer(s[i]!));
  };
  const base = `${F}ENV A=1\nRUN make\nCOPY out /out\nCMD ["a"]`;
  assert.equal(layerKeys(base.replace('CMD ["a"]', 'CMD ["b"]')), layerKeys(base));
  assert.equal(layerKeys(base.replace('CMD ["a"]', 'EXPOSE 80\nLABEL x=y')), layerKeys(base));
  assert.not.equal(last(base.replace('CMD ["a"]', 'CMD ["b"]')), last(base));
  const [run1, copy1] = layerKeys(base);
  const [run2, copy2] = layerKeys(base.replace('ENV A=1', 'ENV A=2'));
  assert.is.not(run1, run2);
  assert.is.not(copy1, copy2);
  // A build arg that changes an ARG's value changes the keys after it, and only those.
  const withArg = `${F}RUN first\nARG V\nRUN echo $V`;
  const k1 = layerKeys(withArg);
  const k2 = chainKeys('base', steps(withArg, { buildArgs: { V: '2' } }), hash).filter((_, i) => i !== 1);
  assert.is(k1[0], k2[0]);
  assert.is.not(k1[1], k2[1]);
  // With only FROM, RUN and COPY the chain is today's: keys of existing caches are unchanged.
  assert.equal(
    steps(`${F}RUN a\nCOPY b /c`).map((s) => s.text),
    ['RUN a', 'COPY b /c'],
  );
});

test('golden plan: a two-stage build', () => {
  const source = [
    '# syntax=docker/dockerfile:1',
    'ARG SUITE=bookworm',
    'FROM debian:${SUITE} AS build',
    'WORKDIR /src',
    'COPY . .',
    'RUN make',
    '',
    'FROM debian:${SUITE}',
    'ARG SUITE',
    'LABEL org.opencontainers.image.title="counter" suite=$SUITE',
    'ENV PORT=8080',
    'COPY --from=build /src/bin/counter /usr/local/bin/',
    'USER 1000:1000',
    'EXPOSE $PORT',
    'STOPSIGNAL SIGINT',
    'ENTRYPOINT ["counter"]',
    'CMD ["--port", "8080"]',
  ].join('\n');
  const cfg = (over: Partial<ImageConfig>): ImageConfig => ({ ...defaultImageConfig(), ...over });
  const bookworm = { kind: 'base', base: { distro: 'debian', suite: 'bookworm' } } as const;
  const runtime0 = cfg({});
  const labels = { 'org.opencontainers.image.title': 'counter', suite: 'bookworm' };
  const runtimeEnv = [PATH, 'PORT=8080'];
  const expected: BuildPlan = {
    stages: [
      {
        index: 0,
        name: 'build',
        line: 3,
        text: 'FROM debian:bookworm AS build',
        base: bookworm,
        steps: [
          { kind: 'META', instruction: 'WORKDIR', line: 4, text: 'WORKDIR /src', config: cfg({ workdir: '/src' }) },
          {
            kind: 'COPY',
            line: 5,
            text: 'COPY . .',
            config: cfg({ workdir: '/src' }),
            from: { kind: 'context' },
            sources: ['.'],
            dest: '/src/',
          },
          {
            kind: 'RUN',
            line: 6,
            text: 'RUN make',
            config: cfg({ workdir: '/src' }),
            argv: ['/bin/sh', '-c', 'make'],
            env: [PATH],
            proxyEnv: [],
            workdir: '/src',
            mounts: [],
          },
        ],
        config: cfg({ workdir: '/src' }),
        dependsOn: [],
        bottom: bookworm.base,
      },
      {
        index: 1,
        line: 8,
        text: 'FROM debian:bookworm',
        base: bookworm,
        steps: [
          { kind: 'META', instruction: 'ARG', line: 9, text: 'ARG ["SUITE=bookworm"]', config: runtime0 },
          {
            kind: 'META',
            instruction: 'LABEL',
            line: 10,
            text: 'LABEL ["org.opencontainers.image.title=counter","suite=bookworm"]',
            config: cfg({ labels }),
          },
          {
            kind: 'META',
            instruction: 'ENV',
            line: 11,
            text: 'ENV ["PORT=8080"]',
            config: cfg({ labels, env: runtimeEnv }),
          },
          {
            kind: 'COPY',
            line: 12,
            text: 'COPY --from=0 /src/bin/counter /usr/local/bin/',
            config: cfg({ labels, env: runtimeEnv }),
            from: { kind: 'stage', index: 0 },
            sources: ['/src/bin/counter'],
            dest: '/usr/local/bin/',
          },
          {
            kind: 'META',
            instruction: 'USER',
            line: 13,
            text: 'USER 1000:1000',
            config: cfg({ labels, env: runtimeEnv, user: '1000:1000' }),
          },
          {
            kind: 'META',
            instruction: 'EXPOSE',
            line: 14,
            text: 'EXPOSE ["8080/tcp"]',
            config: cfg({ labels, env: runtimeEnv, user: '1000:1000', exposedPorts: ['8080/tcp'] }),
          },
          {
            kind: 'META',
            instruction: 'STOPSIGNAL',
            line: 15,
            text: 'STOPSIGNAL SIGINT',
            config: cfg({
              labels,
              env: runtimeEnv,
              user: '1000:1000',
              exposedPorts: ['8080/tcp'],
              stopSignal: 'SIGINT',
            }),
          },
          {
            kind: 'META',
            instruction: 'ENTRYPOINT',
            line: 16,
            text: 'ENTRYPOINT ["counter"]',
            config: cfg({
              labels,
              env: runtimeEnv,
              user: '1000:1000',
              exposedPorts: ['8080/tcp'],
              stopSignal: 'SIGINT',
              entrypoint: ['counter'],
            }),
          },
          {
            kind: 'META',
            instruction: 'CMD',
            line: 17,
            text: 'CMD ["--port","8080"]',
            config: cfg({
              labels,
              env: runtimeEnv,
              user: '1000:1000',
              exposedPorts: ['8080/tcp'],
              stopSignal: 'SIGINT',
              entrypoint: ['counter'],
              cmd: ['--port', '8080'],
            }),
          },
        ],
        config: cfg({
          labels,
          env: runtimeEnv,
          user: '1000:1000',
          exposedPorts: ['8080/tcp'],
          stopSignal: 'SIGINT',
          entrypoint: ['counter'],
          cmd: ['--port', '8080'],
        }),
        dependsOn: [0],
        bottom: bookworm.base,
      },
    ],
    target: 1,
    order: [0, 1],
    warnings: [],
  };
  assert.equal(plan(source), expected);
});

test('unusedBuildArgs: Docker warns about build args no ARG declares (proxies excepted)', () => {
  const file = parseDockerfile('ARG G\nFROM debian:bookworm\nARG S=1\nFROM debian:bookworm\nARG T');
  assert.equal(unusedBuildArgs(file, { G: '1', S: '2', T: '3', https_proxy: 'p', TYPO: 'x', ALSO: 'y' }), [
    'build arg "TYPO" is not declared by any ARG in Conductorfile; it was ignored',
    'build arg "ALSO" is not declared by any ARG in Conductorfile; it was ignored',
  ]);
  assert.equal(plan(`${F}RUN x`, { buildArgs: { X: '1' } }).warnings, [
    'build arg "X" is not declared by any ARG in Conductorfile; it was ignored',
  ]);
});

test('plan errors name file and line', () => {
  const cases: Array<[string, string]> = [
    [
      'ARG B=\nFROM $B',
      'Conductorfile:2: FROM $B expands to an empty image name (pass --build-arg or give the ARG a default)',
    ],
    [
      'ARG B=\nFROM debian:$B',
      'Conductorfile:2: unsupported base "debian:" (supported: debian:bookworm, debian:trixie, ' +
        'debian:bullseye, ubuntu:noble, ubuntu:jammy, ubuntu:focal, or a local image)',
    ],
    [
      'FROM $NOPE',
      'Conductorfile:1: FROM $NOPE expands to an empty image name (pass --build-arg or give the ARG a default)',
    ],
    ['FROM debian:${X', "Conductorfile:1: FROM: missing '}' in substitution"],
    ['FROM scratch', 'Conductorfile:1: not supported: FROM scratch (start from a debootstrap base)'],
    [`${F}ENV A="\${B:?B is required}"`, 'Conductorfile:2: ENV: B: B is required'],
    // Words split before expansion, as in Docker: unquoted blanks inside ${...} end the pair.
    [`${F}ENV A=\${B:-x y}`, 'Conductorfile:2: ENV "y}" has no "=" (write NAME=VALUE; quote values with blanks)'],
    [`${F}ENV A="open`, 'Conductorfile:2: ENV: unterminated double quote'],
    [`${F}ENV $EMPTY=1`, 'Conductorfile:2: ENV names must not be empty'],
    [`${F}ARG K="a=b"\nENV $K=1`, 'Conductorfile:3: ENV name "a=b" must not contain "="'],
    [`${F}LABEL \${NOPE}=x`, 'Conductorfile:2: LABEL names must not be empty'],
    [`${F}WORKDIR $NOPE`, 'Conductorfile:2: WORKDIR "$NOPE" expands to an empty path'],
    [`${F}USER $NOPE`, 'Conductorfile:2: USER "" is not name|uid[:group|gid]'],
    [`${F}USER "a b"`, 'Conductorfile:2: USER "a b" is not name|uid[:group|gid]'],
    [`${F}USER app:`, 'Conductorfile:2: USER "app:" is not name|uid[:group|gid]'],
    [`${F}USER a:b:c`, 'Conductorfile:2: USER "a:b:c" is not name|uid[:group|gid]'],
    [`${F}EXPOSE 0`, 'Conductorfile:2: EXPOSE "0" is not a port (write 8080, 53/udp or 8000-8010/tcp; ports 1-65535)'],
    [
      `${F}EXPOSE 65536`,
      'Conductorfile:2: EXPOSE "65536" is not a port (write 8080, 53/udp or 8000-8010/tcp; ports 1-65535)',
    ],
    [
      `${F}EXPOSE 80/icmp`,
      'Conductorfile:2: EXPOSE "80/icmp" is not a port (write 8080, 53/udp or 8000-8010/tcp; ports 1-65535)',
    ],
    [
      `${F}EXPOSE 90-80`,
      'Conductorfile:2: EXPOSE "90-80" is not a port (write 8080, 53/udp or 8000-8010/tcp; ports 1-65535)',
    ],
    [
      `${F}EXPOSE 127.0.0.1:80:80`,
      'Conductorfile:2: EXPOSE "127.0.0.1:80:80" is not a port (write 8080, 53/udp or 8000-8010/tcp; ports 1-65535)',
    ],
    [
      `${F}STOPSIGNAL SIGFOO`,
      'Conductorfile:2: STOPSIGNAL "SIGFOO" is not a signal (use a name ' +
        'such as SIGTERM or SIGRTMIN+3, or a number 1-64)',
    ],
    [
      `${F}STOPSIGNAL 0`,
      'Conductorfile:2: STOPSIGNAL "0" is not a signal (use a name such as SIGTERM or SIGRTMIN+3, or a number 1-64)',
    ],
    [`${F}VOLUME ["/a", ""]`, 'Conductorfile:2: VOLUME path must not be empty'],
    [`${F}COPY $NOPE /d`, 'Conductorfile:2: COPY source must not be empty'],
    [`${F}COPY a $NOPE`, 'Conductorfile:2: COPY destination must not be empty'],
    [`${F}ENV UP=..\nCOPY $UP/etc /e`, 'Conductorfile:3: COPY source "../etc" is outside the build context'],
    [`${F}ARG O="a b"\nCOPY --chown=$O x /y`, 'Conductorfile:3: COPY --chown="a b" is not user[:group] (names or ids)'],
    [
      `${F}ARG S=build\nCOPY --from=$S /a /b`,
      'Conductorfile:3: variable expansion is not supported in COPY ' +
        '--from (define a stage with FROM $ARG and copy from it)',
    ],
    [
      `${F}COPY --from=0 /a /b`,
      'Conductorfile:2: COPY --from=0: stage 0 is not before this one (stages are numbered from 0)',
    ],
    [
      `${F}COPY --from=later /a /b\nFROM debian:bookworm AS later`,
      'Conductorfile:2: COPY --from=later: stage "later" must be defined before the stage that copies from it',
    ],
    [
      `${F}COPY --from=alpine:3 /a /b`,
      'Conductorfile:2: unsupported base "alpine:3" (supported: debian:bookworm, debian:trixie, ' +
        'debian:bullseye, ubuntu:noble, ubuntu:jammy, ubuntu:focal, or a local image)',
    ],
  ];
  for (const [source, message] of cases) assert.is(failure(source), message, source);
});

test('a missing local image is IMAGE_NOT_FOUND with file:line', () => {
  const msg =
    'Conductorfile:2: image "web-base" not found (build it first, or use one of debian:bookworm, ' +
    'debian:trixie, debian:bullseye, ubuntu:noble, ubuntu:jammy, ubuntu:focal)';
  assert.is(failure('# base\nFROM web-base', {}, 'IMAGE_NOT_FOUND'), msg);
  assert.is(failure(`${F}COPY --from=web-base /a /b`, { lookupImage: () => undefined }, 'IMAGE_NOT_FOUND'), msg);
});

test.run();
