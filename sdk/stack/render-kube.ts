import type {
  V1Deployment,
  V1NetworkPolicy,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicySpec,
  V1Service,
} from '@kubernetes/client-node';
import { containerOf, labelsOf, NODE_PORTS, volumesOf, type KubeDocument } from './kube-objects.ts';
import { yamlDocuments } from './yaml.ts';
import type { Service, Stack } from './types.ts';

export interface KubeRenderOptions {
  /** Registry the images are pushed to (default `localhost`). */
  registry?: string;
  /** Image name → tag, e.g. a digest-derived one from `conductor push` (default `latest`). */
  tags?: Record<string, string>;
}

/**
 * The stack as Kubernetes manifests (multi-document YAML): per service a Deployment, a Service when
 * it has ports, a NetworkPolicy that admits only its peers (and anyone on its published ports), and a
 * PersistentVolumeClaim per named volume. Services with volumes are stateful: one replica, Recreate.
 *
 * @example
 * writeFileSync('demo.k8s.yaml', renderKubernetes(defineStack(demo), { registry: 'registry.example:5000' }));
 */
export function renderKubernetes(stack: Stack, opts: KubeRenderOptions = {}): string {
  const docs: KubeDocument[] = [];
  const claims = new Map<string, KubeDocument>();
  for (const name of stack.levels.flat()) {
    const svc = stack.services[name]!;
    const image = `${opts.registry ?? 'localhost'}/${svc.image}:${opts.tags?.[svc.image] ?? 'latest'}`;
    const v = volumesOf(stack, svc);
    for (const c of v.claims) claims.set(c.object.metadata!.name!, c);
    docs.push({ object: deployment(stack, svc, image, v) });
    const service = serviceOf(stack, svc);
    if (service) docs.push(service);
    docs.push({ object: networkPolicy(stack, svc) });
  }
  return yamlDocuments([...claims.values(), ...docs]);
}

function deployment(stack: Stack, svc: Service, image: string, v: ReturnType<typeof volumesOf>): V1Deployment {
  const labels = labelsOf(stack, svc);
  const stateful = svc.mounts.some((m) => m.type === 'volume');
  const container = containerOf(svc, image, (peer) => peer);
  if (v.mounts.length) container.volumeMounts = v.mounts;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: svc.name, labels },
    spec: {
      replicas: stateful ? 1 : svc.replicas,
      ...(stateful ? { strategy: { type: 'Recreate' } } : {}),
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [container],
          ...(v.volumes.length ? { volumes: v.volumes } : {}),
        },
      },
    },
  };
}

function serviceOf(stack: Stack, svc: Service): KubeDocument | null {
  const published = new Map(svc.ports.map((p) => [p.container, p.host]));
  const ports = [...new Set([...published.keys(), ...svc.expose])].sort((a, b) => a - b);
  if (!ports.length) return null;
  const hostPorts = [...published.values()];
  const outside = hostPorts.filter((h) => h < NODE_PORTS.min || h > NODE_PORTS.max);
  const type = !hostPorts.length ? 'ClusterIP' : outside.length ? 'LoadBalancer' : 'NodePort';
  const object: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: svc.name, labels: labelsOf(stack, svc) },
    spec: {
      type,
      selector: labelsOf(stack, svc),
      ports: ports.map((p) => {
        const host = published.get(p);
        const port = type === 'LoadBalancer' && host !== undefined ? host : p;
        return {
          name: `tcp-${p}`,
          port,
          targetPort: p,
          ...(type === 'NodePort' && host !== undefined ? { nodePort: host } : {}),
        };
      }),
    },
  };
  const comment = outside.length
    ? `host port ${outside.join(', ')} is outside the NodePort range ${NODE_PORTS.min}-${NODE_PORTS.max}: ` +
      'a LoadBalancer serves it'
    : undefined;
  return { object, ...(comment ? { comment } : {}) };
}

// The client's model names the field `_from` (its serializer maps it); the manifest's key is `from`.
type IngressRule = Omit<V1NetworkPolicyIngressRule, '_from'> & { from?: V1NetworkPolicyPeer[] };
type NetworkPolicy = Omit<V1NetworkPolicy, 'spec'> & {
  spec: Omit<V1NetworkPolicySpec, 'ingress'> & { ingress: IngressRule[] };
};

function networkPolicy(stack: Stack, svc: Service): NetworkPolicy {
  const ingress: IngressRule[] = [];
  const peerPorts = [...new Set([...svc.expose, ...svc.ports.map((p) => p.container)])].sort((a, b) => a - b);
  if (svc.peers.length) {
    ingress.push({
      from: svc.peers.map((p) => ({ podSelector: { matchLabels: labelsOf(stack, stack.services[p]!) } })),
      ...(peerPorts.length ? { ports: peerPorts.map((port) => ({ protocol: 'TCP', port })) } : {}),
    });
  }
  if (svc.ports.length) ingress.push({ ports: svc.ports.map((p) => ({ protocol: 'TCP', port: p.container })) });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: svc.name, labels: labelsOf(stack, svc) },
    spec: { podSelector: { matchLabels: labelsOf(stack, svc) }, policyTypes: ['Ingress'], ingress },
  };
}
