import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mountText, parseCacheMount, runKeyPart, runMounts, type CacheMount } from '../../../sdk/image/cache-mounts.ts';
import { planBuild } from '../../../sdk/image/build-plan.ts';
import { parseDockerfile } from '../../../sdk/image/conductorfile-syntax.ts';
import { defaultImageConfig } from '../../../sdk/image/image-config.ts';
import type { BuildStep, PlanOptions } from '../../../sdk/image/plan-steps.ts';

const fail = (m: string): Error => new Error(m);
const parse = (spec: string, workdir = '/'): CacheMount => parseCacheMount(spec, workdir, fail);
const failure = (spec: string): string => {
  try {
    parse(spec);
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
};
const bookworm = { distro: 'debian', suite: 'bookworm' } as const;
const sh = (cmd: string) => ['/bin/sh', '-c', cmd];

test('parseCacheMount: BuildKit defaults (id = target, shared, 0755 root) and every option', () => {
  assert.equal(parse('type=cache,target=/root/.cache/'), {
    id: '/root/.cache',
    target: '/root/.cache',
    sharing: 'shared',
    readonly: false,
    uid: 0,
    gid: 0,
    mode: 0o755,
  });
  assert.equal(parse('type=cache,dst=go/pkg,id=gomod,sharing=locked,ro,uid=1000,gid=100,mode=0700', '/src'), {
    id: 'gomod',
    target: '/src/go/pkg',
    sharing: 'locked',
    readonly: true,
    uid: 1000,
    gid: 100,
    mode: 0o700,
  });
  assert.is(parse('type=cache,target=/c,readonly=false').readonly, false);
});

test('parseCacheMount: other types, sources and bad values fail with the reason', () => {
  assert.is(failure('target=/c'), 'not supported: RUN --mount=type=bind (conductor supports type=cache)');
  assert.is(failure('type=secret,id=x'), 'not supported: RUN --mount=type=secret (conductor supports type=cache)');
  assert.is(failure('type=cache'), 'RUN --mount=type=cache needs target=DIR');
  assert.is(failure('type=cache,target=/'), 'RUN --mount target must not be "/"');
  assert.is(failure('type=cache,target=/c,sharing=all'), 'RUN --mount sharing=all: use shared, private or locked');
  assert.is(failure('type=cache,target=/c,uid=me'), 'RUN --mount uid="me" is not a number');
  assert.is(failure('type=cache,target=/c,mode=888'), 'RUN --mount mode="888" is not an octal mode');
  assert.is(failure('type=cache,target=/c,target=/d'), 'RUN --mount: "target" given twice');
  assert.is(
    failure('type=cache,target=/c,from=build'),
    "not supported: RUN --mount type=cache with from= (conductor's caches start empty)",
  );
  assert.is(failure('type=cache,target=/c,size=1g'), 'RUN --mount: unknown option "size" for type=cache');
});

test('mountText: canonical, defaults left out; a changed option is a changed text', () => {
  assert.is(mountText(parse('target=/c,type=cache')), 'type=cache,id=/c,target=/c,sharing=shared');
  assert.is(
    mountText(parse('type=cache,target=/c,id=x,sharing=private,ro,uid=1,mode=0700')),
    'type=cache,id=x,target=/c,sharing=private,readonly,uid=1,mode=0700',
  );
});

test('runMounts: apt cache added for apt calls on a debootstrap base, locked, one per base', () => {
  const [apt] = runMounts([], sh('apt-get update && apt-get install -y make'), bookworm);
  assert.equal(apt, {
    id: 'apt-debian-bookworm',
    target: '/var/cache/apt',
    sharing: 'locked',
    readonly: false,
    uid: 0,
    gid: 0,
    mode: 0o755,
    implicit: true,
  });
  assert.is(
    runMounts([], ['apt', 'install', '-y', 'x'], { distro: 'ubuntu', suite: 'noble' })[0]!.id,
    'apt-ubuntu-noble',
  );
  assert.is(runMounts([], sh('/usr/bin/apt-get install -y x'), bookworm).length, 1);
});

test('runMounts: nothing added without apt, without a debootstrap base, or over a written apt mount', () => {
  assert.equal(runMounts([], sh('make && ./aptitude-like'), bookworm), []);
  assert.equal(runMounts([], sh('echo capt-get'), bookworm), []);
  assert.equal(runMounts([], sh('apt-get install -y make'), null), []);
  assert.equal(runMounts([], sh('apt-get install -y make'), { distro: 'scratch', suite: 'oci' }), []);
  for (const target of ['/var/cache/apt', '/var/cache/apt/archives', '/var/cache']) {
    const written = [parse(`type=cache,target=${target}`)];
    assert.equal(runMounts(written, sh('apt-get install -y make'), bookworm), written, target);
  }
  const other = [parse('type=cache,target=/root/.cache')];
  assert.is(runMounts(other, sh('apt-get install -y make'), bookworm).length, 2);
});

test('runKeyPart: empty without an implicit mount (keys of other steps unchanged), else names it', () => {
  assert.is(runKeyPart([parse('type=cache,target=/c')]), '');
  assert.is(
    runKeyPart(runMounts([], sh('apt-get install -y make'), bookworm)),
    'implicit --mount=type=cache,id=apt-debian-bookworm,target=/var/cache/apt,sharing=locked',
  );
});

const runOf = (source: string, opts?: PlanOptions): Extract<BuildStep, { kind: 'RUN' }> =>
  planBuild(parseDockerfile(source), opts)
    .stages.at(-1)!
    .steps.filter((s) => s.kind === 'RUN')
    .at(-1) as Extract<BuildStep, { kind: 'RUN' }>;

test('planBuild: written mounts expanded (ARG, WORKDIR) and in the step text; apt cache on a base', () => {
  const step = runOf(
    'FROM debian:bookworm\nARG C=/root/.cache\nWORKDIR /src\n' +
      'RUN --mount=type=cache,target=$C --mount=type=cache,target=build,sharing=locked apt-get install -y make\n',
  );
  assert.is(
    step.text,
    'RUN --mount=type=cache,id=/root/.cache,target=/root/.cache,sharing=shared ' +
      '--mount=type=cache,id=/src/build,target=/src/build,sharing=locked apt-get install -y make',
  );
  assert.equal(
    step.mounts.map((m) => [m.id, m.implicit ?? false]),
    [
      ['/root/.cache', false],
      ['/src/build', false],
      ['apt-debian-bookworm', true],
    ],
  );
  assert.is(runOf('FROM debian:bookworm\nRUN apt-get install -y make\n').text, 'RUN apt-get install -y make');
});

test('planBuild: the apt cache follows the base through stages and local images, not registry images', () => {
  assert.is(runOf('FROM debian:trixie AS a\nFROM a\nRUN apt-get install -y x\n').mounts[0]!.id, 'apt-debian-trixie');
  const lookupImage = (n: string) =>
    n === 'mine' ? { config: defaultImageConfig(), base: { distro: 'ubuntu', suite: 'jammy' } as const } : undefined;
  assert.is(runOf('FROM mine\nRUN apt-get install -y x\n', { lookupImage }).mounts[0]!.id, 'apt-ubuntu-jammy');
  assert.equal(runOf('FROM docker.io/library/debian:12\nRUN apt-get install -y x\n').mounts, []);
});

test('planBuild: a bad --mount fails at its line', () => {
  assert.throws(
    () => runOf('FROM debian:bookworm\n\nRUN --mount=type=tmpfs,target=/t true\n'),
    /Conductorfile:3: not supported: RUN --mount=type=tmpfs/,
  );
});

test.run();
