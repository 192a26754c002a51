import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planBuildDry, refId, type BuildDryFacts } from '../../../sdk/image/build-dry-plan.ts';
import { planBuild } from '../../../sdk/image/build-plan.ts';
import { parseDockerfile } from '../../../sdk/image/conductorfile-syntax.ts';
import { layerKey } from '../../../sdk/image/layer-key.ts';

const FILE = `FROM debian:bookworm AS a
COPY app /app
ENV X=1
RUN make -C /app
FROM debian:bookworm
COPY --from=a /app/out /out
CMD ["/out"]
`;
const plan = planBuild(parseDockerfile(FILE, 'Conductorfile'));
const BASE = refId({ kind: 'base', base: { distro: 'debian', suite: 'bookworm' } });

/** Facts with the base in the cache and `cached` as the layer index (key → id). */
function facts(cached: Map<string, string>, over: Partial<BuildDryFacts> = {}): BuildDryFacts {
  return {
    starts: new Map([[BASE, { key: 'base:k', note: 'base debian:bookworm, in the cache' }]]),
    copies: new Map([['0:2', { hash: 'into\nH', entries: 3 }]]),
    cachedLayer: (k) => cached.get(k) ?? null,
    noCache: false,
    network: 'nat',
    ...over,
  };
}

// The keys the build computes: each chains on the id of the layer below it.
const kCopy = layerKey('base:k', 'COPY app /app', 'into\nH');
const kRun = (copyId: string) => layerKey(layerKey(copyId, 'ENV ["X=1"]'), 'RUN make -C /app');
const kFrom = (runId: string) => layerKey('base:k', 'COPY --from=0 /app/out /out', `from:${runId}`);

test('build dry plan: every layer found under the key the build would compute', () => {
  const index = new Map([
    [kCopy, 'c0py'.padEnd(20, '0')],
    [kRun('c0py'.padEnd(20, '0')), 'run1'.padEnd(20, '1')],
    [kFrom('run1'.padEnd(20, '1')), 'fr0m'.padEnd(20, '2')],
  ]);
  assert.equal(planBuildDry('web', plan, facts(index)), [
    '# build image "web": stages 0, 1 (the target: 1)',
    '# stage 0: FROM debian:bookworm AS a   # base debian:bookworm, in the cache',
    'COPY app /app   # cached: layer c0py00000000',
    'ENV ["X=1"]   # metadata only',
    'RUN make -C /app   # cached: layer run111111111',
    '# stage 1: FROM debian:bookworm   # base debian:bookworm, in the cache',
    'COPY --from=0 /app/out /out   # cached: layer fr0m22222222',
    'CMD ["/out"]   # metadata only',
    '# every layer cached: writes only the image record of "web"',
  ]);
});

test('build dry plan: a miss makes every layer step above it, and COPY --from it, a miss', () => {
  const index = new Map([[kCopy, 'c0py']]);
  const lines = planBuildDry('web', plan, facts(index));
  assert.equal(lines.slice(4, 7), [
    'RUN make -C /app   # not cached',
    '#   runs in a build container (network nat) as root in /, with ' +
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin X=1:',
    "/bin/sh -c 'make -C /app'",
  ]);
  assert.ok(lines.includes('COPY --from=0 /app/out /out   # not cached'));
  assert.ok(lines.includes('#   copies /app/out from stage 0 into /out in a build container'));
  assert.is(lines.at(-1), '# 2 new layers committed under the layer store, then the image record of "web"');
});

test('build dry plan: a base to fetch first, or --no-cache, looks nothing up', () => {
  let asked = 0;
  const count = new Map<string, string>();
  const lookups = { cachedLayer: () => (asked++, 'x') };
  const fetch = facts(count, {
    starts: new Map([[BASE, { key: null, note: 'base debian:bookworm: not in the cache' }]]),
    ...lookups,
  });
  const lines = planBuildDry('web', plan, fetch);
  assert.ok(lines.includes('# stage 0: FROM debian:bookworm AS a   # base debian:bookworm: not in the cache'));
  assert.ok(lines.includes('#   copies 3 entries of the context into /app in a build container'));
  assert.is(asked, 0, 'no key is known above a base that is not fetched yet');
  const noCache = planBuildDry('web', plan, facts(count, { noCache: true, ...lookups }));
  assert.ok(noCache.includes('COPY app /app   # not looked up (--no-cache)'));
  assert.is(asked, 0);
});

test('build dry plan: only the stages a --target needs', () => {
  const lines = planBuildDry('web', { ...plan, target: 0, order: [0] }, facts(new Map()));
  assert.is(lines[0], '# build image "web": stages 0 (the target: 0)');
  assert.not.ok(lines.some((l) => l.includes('stage 1')));
});

test.run();
