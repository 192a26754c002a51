import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDockerfile, type InstructionNode } from '../../../sdk/image/conductorfile-syntax.ts';
import { planBuild } from '../../../sdk/image/build-plan.ts';
import {
  checkHealthOverrides,
  healthArgv,
  healthOption,
  mergeHealthcheck,
  parseDuration,
} from '../../../sdk/image/healthcheck.ts';
import { fromOciRuntimeConfig, ociRuntimeConfig } from '../../../sdk/image/oci/image-json.ts';
import { defaultImageConfig } from '../../../sdk/image/image-config.ts';
import { isConductorError } from '../../../sdk/errors.ts';

const F = 'FROM debian:bookworm\n';
const SH = ['/bin/sh', '-c'];
const node = (line: string): InstructionNode => parseDockerfile(`${F}${line}`).stages[0]!.instructions[0]!;
const health = (line: string) => (node(line) as Extract<InstructionNode, { kind: 'HEALTHCHECK' }>).healthcheck;

function failure(fn: () => unknown, code: 'PARSE_ERROR' | 'INVALID_ARGUMENT'): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isConductorError(e, code), `expected ${code}, got ${String(e)}`);
    return (e as Error).message;
  }
  return assert.unreachable('expected an error') as never;
}

test("parseDuration: Go's syntax, in milliseconds", () => {
  assert.is(parseDuration('30s'), 30_000);
  assert.is(parseDuration('1m30s'), 90_000);
  assert.is(parseDuration('1.5h'), 5_400_000);
  assert.is(parseDuration('500ms'), 500);
  assert.is(parseDuration('2000us'), 2);
  assert.is(parseDuration('0'), 0);
  assert.is(parseDuration('-1s'), -1000);
  for (const bad of ['', '5', 's', '1x', '1 s', '1s2', '.s', 'abc']) assert.is(parseDuration(bad), null, bad);
});

test('HEALTHCHECK: shell form is CMD-SHELL, JSON form CMD, NONE; flags in milliseconds, 0 means the default', () => {
  assert.equal(health('HEALTHCHECK CMD curl -f http://localhost/ || exit 1'), {
    test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'],
  });
  assert.equal(
    health('HEALTHCHECK --interval=5s --timeout=1m --start-period=500ms --retries=4 CMD ["test", "-e", "/ok"]'),
    {
      test: ['CMD', 'test', '-e', '/ok'],
      intervalMs: 5000,
      timeoutMs: 60_000,
      startPeriodMs: 500,
      retries: 4,
    },
  );
  assert.equal(health('HEALTHCHECK --interval=0 --retries=0 cmd true'), { test: ['CMD-SHELL', 'true'] });
  assert.equal(health('healthcheck none'), { test: ['NONE'] });
});

test('HEALTHCHECK: bad durations, flags and forms are one-line errors naming the line', () => {
  const cases: Array<[string, string]> = [
    ['HEALTHCHECK --interval=5x CMD true', 'Conductorfile:2: HEALTHCHECK --interval: interval "5x" is not a duration'],
    ['HEALTHCHECK --timeout=10us CMD true', 'Conductorfile:2: HEALTHCHECK --timeout: timeout "10us" is less than 1ms'],
    ['HEALTHCHECK --retries=-1 CMD true', 'Conductorfile:2: HEALTHCHECK --retries: retries "-1" is not a whole number'],
    ['HEALTHCHECK --interval CMD true', 'Conductorfile:2: HEALTHCHECK --interval needs a value, e.g. --interval=...'],
    ['HEALTHCHECK --start-interval=1s CMD true', 'Conductorfile:2: not supported: HEALTHCHECK --start-interval'],
    ['HEALTHCHECK --every=1s CMD true', 'Conductorfile:2: unknown flag "--every" for HEALTHCHECK'],
    ['HEALTHCHECK --retries=1 --retries=2 CMD true', 'Conductorfile:2: HEALTHCHECK --retries given twice'],
    ['HEALTHCHECK curl -f http://x/', 'Conductorfile:2: HEALTHCHECK needs CMD or NONE'],
    ['HEALTHCHECK', 'Conductorfile:2: HEALTHCHECK needs CMD or NONE'],
    ['HEALTHCHECK CMD', 'Conductorfile:2: HEALTHCHECK CMD needs a command'],
    ['HEALTHCHECK CMD []', 'Conductorfile:2: HEALTHCHECK CMD needs a command'],
    ['HEALTHCHECK NONE x', 'Conductorfile:2: HEALTHCHECK NONE takes no flags or arguments'],
    ['HEALTHCHECK --retries=2 NONE', 'Conductorfile:2: HEALTHCHECK NONE takes no flags or arguments'],
  ];
  for (const [line, message] of cases) {
    const m = failure(() => parseDockerfile(`${F}${line}`), 'PARSE_ERROR');
    assert.ok(m.startsWith(message) && !m.includes('\n'), `${line}: ${m}`);
  }
});

test('the image config keeps the last HEALTHCHECK; NONE is kept, to disable an inherited one', () => {
  const stage = (src: string) => planBuild(parseDockerfile(src)).stages.at(-1)!;
  const s = stage(`${F}HEALTHCHECK CMD a\nHEALTHCHECK --retries=2 CMD b\n`);
  assert.equal(s.config.healthcheck, { test: ['CMD-SHELL', 'b'], retries: 2 });
  assert.is(s.steps.at(-1)!.text, 'HEALTHCHECK {"test":["CMD-SHELL","b"],"retries":2}');
  assert.equal(stage(`${F}HEALTHCHECK CMD a\nHEALTHCHECK NONE\n`).config.healthcheck, { test: ['NONE'] });
});

test("OCI export/import: Docker's Healthcheck with nanosecond durations, unset ones omitted", () => {
  const cfg = { ...defaultImageConfig(), healthcheck: { test: ['CMD', 'true'], intervalMs: 1500, retries: 2 } };
  const o = ociRuntimeConfig(cfg);
  assert.equal(o.Healthcheck, { Test: ['CMD', 'true'], Interval: 1_500_000_000, Retries: 2 });
  assert.equal(fromOciRuntimeConfig(o), cfg);
  // As buildah writes it: every field, zeros for "default".
  const podman = { Test: ['CMD-SHELL', 'x'], Interval: 0, Timeout: 3e9, StartPeriod: 0, Retries: 0 };
  assert.equal(fromOciRuntimeConfig({ Healthcheck: podman }).healthcheck, {
    test: ['CMD-SHELL', 'x'],
    timeoutMs: 3000,
  });
  assert.is(fromOciRuntimeConfig({ Healthcheck: { Test: 'x' } }).healthcheck, undefined);
});

test('healthOption: durations of at least 1ms, retries a whole number', () => {
  assert.is(healthOption('start-period', '2s'), 2000);
  assert.is(healthOption('retries', '5'), 5);
  assert.match(
    failure(() => healthOption('interval', 'soon'), 'INVALID_ARGUMENT'),
    /^interval "soon" is not a duration/,
  );
});

test("merge: run's --health-* replace the image's fields; the rest take Docker's defaults", () => {
  const image = { test: ['CMD', 'check'], intervalMs: 5000, retries: 5 };
  assert.equal(mergeHealthcheck(image, {}, SH), {
    test: ['CMD', 'check'],
    intervalMs: 5000,
    timeoutMs: 30_000,
    startPeriodMs: 0,
    retries: 5,
  });
  assert.equal(mergeHealthcheck(image, { cmd: 'test -e /ok', retries: 1, timeoutMs: 200 }, SH), {
    test: ['CMD-SHELL', 'test -e /ok'],
    intervalMs: 5000,
    timeoutMs: 200,
    startPeriodMs: 0,
    retries: 1,
  });
  assert.equal(mergeHealthcheck(undefined, { cmd: 'x' }, ['/bin/bash', '-c'])?.shell, ['/bin/bash', '-c']);
  assert.is(mergeHealthcheck(image, { disable: true }, SH), undefined);
  assert.is(mergeHealthcheck(undefined, {}, SH), undefined);
  assert.is(mergeHealthcheck({ test: ['NONE'] }, {}, SH), undefined);
  assert.equal(mergeHealthcheck({ test: ['NONE'] }, { cmd: 'x' }, SH)?.test, ['CMD-SHELL', 'x']);
  assert.match(
    failure(() => mergeHealthcheck(image, { disable: true, cmd: 'x' }, SH), 'INVALID_ARGUMENT'),
    /conflicts/,
  );
  assert.match(
    failure(() => mergeHealthcheck(undefined, { retries: 2 }, SH), 'INVALID_ARGUMENT'),
    /need a command/,
  );
});

test('checkHealthOverrides: SDK values are 0 or at least 1 ms, retries whole, --no-healthcheck alone', () => {
  checkHealthOverrides({ cmd: 'x', intervalMs: 1, timeoutMs: 0, retries: 0 });
  checkHealthOverrides({ disable: true });
  for (const o of [{ intervalMs: 0.5 }, { timeoutMs: -1 }, { startPeriodMs: NaN }, { retries: 1.5 }, { retries: -1 }])
    failure(() => checkHealthOverrides(o), 'INVALID_ARGUMENT');
  assert.match(
    failure(() => checkHealthOverrides({ disable: true, retries: 2 }), 'INVALID_ARGUMENT'),
    /conflicts/,
  );
});

test('healthArgv: CMD as is, CMD-SHELL through the shell', () => {
  assert.equal(healthArgv({ test: ['CMD', 'test', '-e', '/ok'] }), ['test', '-e', '/ok']);
  assert.equal(healthArgv({ test: ['CMD-SHELL', 'test -e /ok'] }), ['/bin/sh', '-c', 'test -e /ok']);
  assert.equal(healthArgv({ test: ['CMD-SHELL', 'x'], shell: ['/bin/bash', '-c'] }), ['/bin/bash', '-c', 'x']);
});

test.run();
