// Golden manifests of the demo stack. After a deliberate change: UPDATE_GOLDEN=1 npx tsx
// tests/unit/stack/render.test.ts
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { defineStack } from '../../../sdk/stack/define.ts';
import { renderKubernetes } from '../../../sdk/stack/render-kube.ts';
import { renderPodmanKube } from '../../../sdk/stack/render-podman.ts';
import { isConductorError } from '../../../sdk/errors.ts';
import demo from '../../../stacks/demo.ts';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden');

function golden(file: string, text: string): void {
  const p = path.join(GOLDEN, file);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(p, text);
  assert.fixture(text, readFileSync(p, 'utf8'));
}

test('Kubernetes: the demo renders to its golden manifests', () => {
  golden(
    'demo.k8s.yaml',
    renderKubernetes(demo, { registry: 'registry.example:5000', tags: { 'counter-service': 'sha-0123abcd' } }),
  );
});

test('Kubernetes: kinds per service, the peer-only policy, the LoadBalancer note, probes, no escalation', () => {
  const docs = parseAllDocuments(renderKubernetes(demo)).map((d) => ({ obj: d.toJS() as Record<string, any> }));
  assert.equal(
    docs.map((d) => `${d.obj.kind}/${d.obj.metadata.name}`),
    [
      'Deployment/counter-service',
      'Service/counter-service',
      'NetworkPolicy/counter-service',
      'Deployment/external-service',
      'Service/external-service',
      'NetworkPolicy/external-service',
    ],
  );
  const [csDep, csSvc, csPol, esDep, esSvc, esPol] = docs.map((d) => d.obj);
  assert.is(csSvc!.spec.type, 'ClusterIP', 'the counter is not published');
  assert.equal(
    csPol!.spec.ingress,
    [
      {
        from: [
          {
            podSelector: {
              matchLabels: { 'app.kubernetes.io/name': 'external-service', 'app.kubernetes.io/part-of': 'demo' },
            },
          },
        ],
        ports: [{ protocol: 'TCP', port: 8080 }],
      },
    ],
    'only its peer reaches the counter',
  );
  assert.is(esSvc!.spec.type, 'LoadBalancer');
  assert.equal(esSvc!.spec.ports, [{ name: 'tcp-8080', port: 3000, targetPort: 8080 }]);
  assert.match(
    renderKubernetes(demo),
    new RegExp(
      '# host port 3000 is outside the NodePort range 30000-32767: a LoadBalancer serves it' +
        String.raw`\n\napiVersion: v1\nkind: Service\nmetadata:\n  name: external-service\n`,
    ),
  );
  assert.is(esPol!.spec.ingress.length, 2, 'its peer, and anyone on the published port');
  const es = esDep!.spec.template.spec.containers[0];
  assert.equal(
    es.env,
    [
      { name: 'COUNTER_SERVICE_URL', value: 'http://counter-service:8080' },
      { name: 'PORT', value: '8080' },
    ],
    'peers by Service name',
  );
  assert.equal([es.command, es.args], [undefined, undefined], "no command or entrypoint: the image's own");
  assert.equal(es.securityContext, { allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } });
  assert.is(csDep!.spec.template.spec.containers[0].livenessProbe.periodSeconds, 1);
  assert.is(csDep!.spec.template.spec.containers[0].image, 'localhost/counter-service:latest');
});

test('Kubernetes: a NodePort in range, limits as quantities, a stateful service with its claim', () => {
  const s = defineStack({
    name: 'st',
    services: {
      db: {
        image: 'pg',
        expose: [5432],
        mounts: [
          { type: 'volume', source: 'data', target: '/var/lib/pg' },
          { type: 'tmpfs', target: '/run' },
        ],
        replicas: 1,
        limits: { memory: '256m', cpus: 1.5 },
      },
      web: { image: 'w', ports: [{ container: 80, host: 30080 }], peers: ['db'], entrypoint: ['/w'], command: ['--x'] },
      worker: { image: 'k', replicas: 3 },
    },
  });
  const docs = parseAllDocuments(renderKubernetes(s)).map((d) => d.toJS() as Record<string, any>);
  assert.equal(
    docs.map((d) => `${d.kind}/${d.metadata.name}`),
    [
      'PersistentVolumeClaim/st-data',
      'Deployment/db',
      'Service/db',
      'NetworkPolicy/db',
      'Deployment/web',
      'Service/web',
      'NetworkPolicy/web',
      'Deployment/worker',
      'NetworkPolicy/worker',
    ],
  );
  const db = docs[1]!;
  assert.equal(db.spec.strategy, { type: 'Recreate' });
  assert.is(db.spec.replicas, 1);
  assert.equal(db.spec.template.spec.containers[0].resources, { limits: { memory: '256Mi', cpu: '1500m' } });
  assert.equal(db.spec.template.spec.volumes, [
    { name: 'st-data', persistentVolumeClaim: { claimName: 'st-data' } },
    { name: 'tmpfs-1', emptyDir: { medium: 'Memory' } },
  ]);
  const web = docs[4]!;
  assert.is(docs[7]!.spec.replicas, 3);
  assert.equal(docs[8]!.spec.ingress, [], 'no peers, nothing published: no ingress at all');
  assert.equal(
    [web.spec.template.spec.containers[0].command, web.spec.template.spec.containers[0].args],
    [['/w'], ['--x']],
  );
  assert.equal(docs[5]!.spec, {
    type: 'NodePort',
    selector: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/part-of': 'st' },
    ports: [{ name: 'tcp-80', port: 80, targetPort: 80, nodePort: 30080 }],
  });
});

test('podman: the demo renders to its golden pod', () => {
  golden('demo.pod.yaml', renderPodmanKube(demo));
});

test('podman: publish false (for --network none) renders the same pod without any ports, and says so', () => {
  const text = renderPodmanKube(demo, { publish: false });
  golden('demo.pod-unpublished.yaml', text);
  const doc = parseAllDocuments(text)[0]!;
  const pod = doc.toJS() as Record<string, any>;
  assert.equal(
    pod.spec.containers.map((c: Record<string, unknown>) => c.ports),
    [undefined, undefined],
  );
  assert.match(doc.commentBefore ?? '', /no ports \(publish: false\): for podman kube play --network none/);
  // Apart from the ports and the note, the very same pod (the moved port stays moved: 8081 in env and probes).
  const full = parseAllDocuments(renderPodmanKube(demo))[0]!.toJS() as Record<string, any>;
  for (const c of full.spec.containers) delete c.ports;
  assert.equal(pod, full);
  assert.not.match(text, /hostPort|containerPort/);
});

test('podman: peers at localhost; a second listener on 8080 moves to 8081 in env, ports and healthcheck', () => {
  const doc = parseAllDocuments(renderPodmanKube(demo))[0]!;
  const pod = doc.toJS() as Record<string, any>;
  const [cs, es] = pod.spec.containers;
  assert.equal(cs.env, [{ name: 'PORT', value: '8080' }], 'the first listener keeps its port');
  assert.equal(cs.ports, [{ containerPort: 8080 }]);
  assert.equal(es.env, [
    { name: 'COUNTER_SERVICE_URL', value: 'http://localhost:8080' },
    { name: 'PORT', value: '8081' },
  ]);
  assert.equal(es.ports, [{ containerPort: 8081, hostPort: 3000 }], 'the host port maps to the moved one');
  assert.match(es.livenessProbe.exec.command.at(-1), /127\.0\.0\.1:8081\/health/);
  assert.match(doc.commentBefore ?? '', /external-service listens on 8081 instead of 8080/);
  assert.is(pod.spec.restartPolicy, 'Never');
});

test('podman: a peer URL follows its moved port; replicas are refused', () => {
  const s = defineStack({
    name: 'p',
    services: {
      a: { image: 'a', expose: [80], command: ['srv', '--port', '80'] },
      b: { image: 'b', expose: [80], command: ['srv', '--port', '80'], restart: 'always' },
      c: { image: 'c', peers: ['b'], env: { B: 'http://{{b}}:80/' } },
    },
  });
  const pod = parseAllDocuments(renderPodmanKube(s))[0]!.toJS() as Record<string, any>;
  const [, b, c] = pod.spec.containers;
  assert.equal(b.args, ['srv', '--port', '81']);
  assert.equal(c.env, [{ name: 'B', value: 'http://localhost:81/' }]);
  assert.is(pod.spec.restartPolicy, 'Always');
  try {
    renderPodmanKube(defineStack({ name: 'r', services: { a: { image: 'a', replicas: 2 } } }));
    assert.unreachable('two replicas in one pod');
  } catch (e) {
    assert.ok(isConductorError(e, 'INVALID_ARGUMENT'));
    assert.match((e as Error).message, /service a has 2 replicas; a pod holds one of each/);
  }
});

test.run();
