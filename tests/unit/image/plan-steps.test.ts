import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chainKeys, makesLayer, PROXY_ARGS, unusedBuildArgs, type BuildStep } from '../../../sdk/image/plan-steps.ts';
import { parseDockerfile } from '../../../sdk/image/conductorfile-syntax.ts';
import { defaultImageConfig } from '../../../sdk/image/image-config.ts';

const config = defaultImageConfig();
const meta = (text: string): BuildStep => ({ kind: 'META', instruction: 'ENV', line: 2, text, config });
const run = (text: string): BuildStep => ({
  kind: 'RUN',
  line: 3,
  text,
  config,
  argv: ['/bin/sh', '-c', text],
  env: [],
  proxyEnv: [],
  workdir: '/',
  mounts: [],
});

test('chainKeys: each key is keyOf(previous key, step), starting from the base key', () => {
  const keyOf = (parent: string, step: BuildStep): string => `${parent}>${step.text}`;
  assert.equal(chainKeys('base', [meta('ENV A=1'), run('make'), meta('CMD x')], keyOf), [
    'base>ENV A=1',
    'base>ENV A=1>make',
    'base>ENV A=1>make>CMD x',
  ]);
  assert.equal(chainKeys('base', [], keyOf), []);
});

test('makesLayer: RUN and COPY make layers, metadata does not', () => {
  assert.ok(makesLayer(run('make')));
  assert.not.ok(makesLayer(meta('ENV A=1')));
});

test("unusedBuildArgs: one warning per build arg no ARG declares; Docker's proxy args are exempt in both cases", () => {
  const file = parseDockerfile('ARG G\nFROM debian:bookworm\nARG S=1');
  assert.equal(unusedBuildArgs(file, { G: '1', S: '2', HTTP_PROXY: 'p', no_proxy: 'q', X: '3' }), [
    'build arg "X" is not declared by any ARG in Conductorfile; it was ignored',
  ]);
  assert.equal(unusedBuildArgs(file, {}), []);
  for (const n of ['HTTP_PROXY', 'https_proxy', 'FTP_PROXY', 'no_proxy', 'ALL_PROXY']) assert.ok(PROXY_ARGS.has(n), n);
  assert.not.ok(PROXY_ARGS.has('Http_Proxy'));
});

test.run();
