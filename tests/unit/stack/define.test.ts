import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defineStack } from '../../../sdk/stack/define.ts';
import { startLevels } from '../../../sdk/stack/order.ts';
import { resolveEnv } from '../../../sdk/stack/env-template.ts';
import { isConductorError } from '../../../sdk/errors.ts';
import type { StackDefinition } from '../../../sdk/stack/types.ts';
import demo from '../../../stacks/demo.ts';

function refuses(def: StackDefinition, message: RegExp): void {
  try {
    defineStack(def);
  } catch (e) {
    assert.ok(isConductorError(e, 'INVALID_ARGUMENT'), String(e));
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`accepted: ${JSON.stringify(def)}`);
}

test('the demo stack: defaults, symmetric peers, start order, container names', () => {
  assert.equal(demo.levels, [['counter-service'], ['external-service']]);
  const cs = demo.services['counter-service']!;
  assert.equal(cs.peers, ['external-service'], 'peering goes both ways');
  assert.equal(cs.containerNames, ['demo-counter-service']);
  assert.is(cs.restart, 'no');
  assert.is(cs.replicas, 1);
  assert.equal(demo.services['external-service']!.dependsOn, { 'counter-service': 'healthy' });
});

test('independent services share a level; levels are sorted; replicas get numbered names', () => {
  const s = defineStack({
    name: 's',
    services: {
      b: { image: 'x' },
      a: { image: 'x', replicas: 2 },
      c: { image: 'x', dependsOn: { a: 'started', b: 'started' } },
      d: {
        image: 'x',
        dependsOn: { c: 'started' },
        containerName: 'dee',
        limits: { memory: '64m', cpus: 0.5, pids: 10 },
      },
    },
  });
  assert.equal(s.levels, [['a', 'b'], ['c'], ['d']]);
  assert.equal(s.services.a!.containerNames, ['s-a-1', 's-a-2']);
  assert.equal(s.services.d!.containerNames, ['dee']);
  assert.equal(s.services.d!.limits, { memory: 64 * 1024 * 1024, cpus: 0.5, pids: 10 });
  assert.is(s.services.b!.image, 'x');
  assert.is(
    defineStack({ name: 's', services: { web: { build: { file: 'F', context: '.' } } } }).services.web!.image,
    's-web',
  );
});

test('a dependency cycle is refused, naming it', () => {
  refuses(
    {
      name: 's',
      services: {
        a: { image: 'x', dependsOn: { b: 'started' } },
        b: { image: 'x', dependsOn: { c: 'started' } },
        c: { image: 'x', dependsOn: { a: 'started' } },
      },
    },
    /^stack s: dependency cycle a → b → c → a \(remove one of these dependsOn entries\)$/,
  );
  assert.throws(() => startLevels('t', { x: ['x'] }), /dependency cycle x → x/);
});

test('unknown or self references in peers, dependsOn and env are refused with the known services', () => {
  refuses(
    { name: 's', services: { a: { image: 'x', peers: ['nope'] } } },
    /service a: peers names unknown service "nope" \(|known services/,
  );
  refuses(
    { name: 's', services: { a: { image: 'x', dependsOn: { zz: 'started' } }, b: { image: 'y' } } },
    /service a: dependsOn names unknown service "zz"/,
  );
  refuses({ name: 's', services: { a: { image: 'x', peers: ['a'] } } }, /peers names the service itself/);
  refuses(
    { name: 's', services: { a: { image: 'x', env: { U: 'http://{{b}}:1' } }, b: { image: 'y' } } },
    /env U refers to "b", which is not a peer/,
  );
  refuses(
    { name: 's', services: { a: { image: 'x', dependsOn: { b: 'ready' as 'started' } }, b: { image: 'y' } } },
    /dependsOn.b is "ready"/,
  );
});

test('two services on one host port, replicas on a published port, bad ports are refused', () => {
  refuses(
    {
      name: 's',
      services: {
        a: { image: 'x', ports: [{ container: 80, host: 8080 }] },
        b: { image: 'y', ports: [{ container: 81, host: 8080 }] },
      },
    },
    /host port 8080 is published by both a and b/,
  );
  refuses(
    { name: 's', services: { a: { image: 'x', replicas: 2, ports: [{ container: 80, host: 8080 }] } } },
    /2 replicas cannot share host port 8080/,
  );
  refuses(
    { name: 's', services: { a: { image: 'x', ports: [{ container: 0, host: 8080 }] } } },
    /container port 0 is not a port/,
  );
  refuses({ name: 's', services: { a: { image: 'x', expose: [70000] } } }, /exposed port 70000 is not a port/);
});

test('names, missing images, healthy without a healthcheck, bad mounts and limits are refused', () => {
  refuses({ name: 'bad/name', services: { a: { image: 'x' } } }, /invalid stack name "bad\/name"/);
  refuses({ name: 's', services: {} }, /defines no services/);
  refuses({ name: 's', services: { 'a b': { image: 'x' } } }, /invalid service name "a b"/);
  refuses({ name: 's', services: { a: {} } }, /service a: has neither image nor build/);
  refuses(
    { name: 's', services: { a: { image: 'x', dependsOn: { b: 'healthy' } }, b: { image: 'y' } } },
    /waits for b to be healthy, but b has no healthcheck/,
  );
  refuses(
    { name: 's', services: { a: { image: 'x', mounts: [{ type: 'volume', target: 'rel' }] } } },
    /mount target "rel" is not absolute/,
  );
  refuses(
    { name: 's', services: { a: { image: 'x', mounts: [{ type: 'bind', target: '/x' }] } } },
    /bind mount on \/x has no source/,
  );
  refuses({ name: 's', services: { a: { image: 'x', limits: { cpus: 0 } } } }, /limits.cpus 0/);
  refuses({ name: 's', services: { a: { image: 'x', replicas: 0 } } }, /replicas 0/);
});

test('a service whose env names a peer starts after it', () => {
  const s = defineStack({
    name: 's',
    services: { web: { image: 'w', peers: ['db'], env: { DB: '{{db}}:5432' } }, db: { image: 'd' } },
  });
  assert.equal(s.levels, [['db'], ['web']]);
});

test('resolveEnv replaces each {{service}} and leaves the rest', () => {
  assert.equal(
    resolveEnv({ A: 'http://{{db}}:5432/{{db}}', B: 'plain {{ not }}' }, (s) => `<${s}>`),
    { A: 'http://<db>:5432/<db>', B: 'plain {{ not }}' },
  );
});

test.run();
