import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { ConductorError } from '../errors.ts';
import { containerOf, volumesOf } from './kube-objects.ts';
import { yamlDocuments } from './yaml.ts';
import type { Service, Stack } from './types.ts';

export interface PodmanKubeOptions {
  /**
   * false: no `ports` at all, for `podman kube play --network none`, which podman 4.3 refuses any
   * port mapping under (a hostPort, and a bare containerPort alike). Default true: containerPorts,
   * published ones with their hostPort.
   */
  publish?: boolean;
}

/**
 * The stack as one Pod for `podman kube play`. Its containers share the pod's network, so a
 * `{{service}}` in env becomes localhost, published ports become hostPorts, and a port that a service
 * earlier in the start order already listens on moves to the next free one (see withPorts). Images
 * are `localhost/<image>:latest`, the names `conductor export` gives them and `podman load` keeps.
 *
 * @example
 * writeFileSync('demo.pod.yaml', renderPodmanKube(defineStack(demo)));
 * // conductor export counter-service -o c.tar && podman load -i c.tar && podman kube play demo.pod.yaml
 * renderPodmanKube(stack, { publish: false }); // for podman kube play --network none
 */
export function renderPodmanKube(stack: Stack, opts: PodmanKubeOptions = {}): string {
  const publish = opts.publish ?? true;
  const order = stack.levels.flat();
  for (const name of order) {
    const n = stack.services[name]!.replicas;
    if (n > 1) fail(stack.name, `service ${name} has ${n} replicas; a pod holds one of each`);
  }
  const moves = podPorts(stack, order);
  const containers: V1Container[] = [];
  const volumes = new Map<string, V1Volume>();
  let dropped = false;
  for (const name of order) {
    const svc = withPorts(stack.services[name]!, moves);
    const c = containerOf(svc, `localhost/${svc.image}:latest`, () => 'localhost');
    const hostPorts = new Map(svc.ports.map((p) => [p.container, p.host]));
    if (!publish && c.ports) {
      delete c.ports;
      dropped = true;
    } else if (c.ports)
      c.ports = c.ports.map((p) => ({
        ...p,
        ...(hostPorts.has(p.containerPort) ? { hostPort: hostPorts.get(p.containerPort)! } : {}),
      }));
    const v = volumesOf(stack, svc);
    if (v.mounts.length) c.volumeMounts = v.mounts;
    for (const vol of v.volumes) volumes.set(vol.name, vol);
    containers.push(c);
  }
  const restarts = new Set(Object.values(stack.services).map((s) => s.restart));
  const restartPolicy =
    restarts.has('always') || restarts.has('unless-stopped')
      ? 'Always'
      : restarts.has('on-failure')
        ? 'OnFailure'
        : 'Never';
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: stack.name, labels: { 'app.kubernetes.io/part-of': stack.name } },
    spec: { restartPolicy, containers, ...(volumes.size ? { volumes: [...volumes.values()] } : {}) },
  };
  const notes = [...moves].flatMap(([svc, m]) =>
    [...m].map(([from, to]) => `${svc} listens on ${to} instead of ${from} (the pod's containers share one network)`),
  );
  if (dropped) notes.push('no ports (publish: false): for podman kube play --network none, which refuses any');
  if (restarts.size > 1)
    notes.push(
      `one restart policy for the pod (${restartPolicy}): the services ask for ${[...restarts].sort().join(', ')}`,
    );
  return yamlDocuments([{ object: pod, ...(notes.length ? { comment: notes.join('\n ') } : {}) }]);
}

/** service → (port → new port) for each port a service earlier in the start order already listens on. */
function podPorts(stack: Stack, order: string[]): Map<string, Map<number, number>> {
  const taken = new Set<number>();
  const moves = new Map<string, Map<number, number>>();
  for (const name of order) {
    const svc = stack.services[name]!;
    for (const p of [...new Set([...svc.expose, ...svc.ports.map((x) => x.container)])].sort((a, b) => a - b)) {
      let to = p;
      while (taken.has(to)) to++;
      if (to > 65535) fail(stack.name, `no free port above ${p} for ${name}`);
      taken.add(to);
      if (to !== p) moves.set(name, (moves.get(name) ?? new Map()).set(p, to));
    }
  }
  return moves;
}

/**
 * A service as it runs in the pod: its moved ports replaced wherever they stand as a whole number in
 * its command, env and healthcheck, and `{{peer}}:port` in its env pointing at the peer's moved port.
 */
function withPorts(svc: Service, moves: Map<string, Map<number, number>>): Service {
  const own = moves.get(svc.name) ?? new Map<number, number>();
  const bare = (s: string) => s.replace(/(?<!\d)\d+(?!\d)/g, (d) => String(own.get(Number(d)) ?? d));
  const peersMoved = (s: string) =>
    s.replace(/\{\{([^}]+)\}\}:(\d+)/g, (m, peer: string, port: string) => {
      const to = moves.get(peer)?.get(Number(port));
      return to === undefined ? m : `{{${peer}}}:${to}`;
    });
  const envValue = (v: string) => peersMoved(own.has(Number(v)) ? String(own.get(Number(v))) : v);
  const h = svc.healthcheck;
  return {
    ...svc,
    ...(svc.command ? { command: svc.command.map((a) => (own.has(Number(a)) ? String(own.get(Number(a))) : a)) } : {}),
    env: Object.fromEntries(Object.entries(svc.env).map(([k, v]) => [k, envValue(v)])),
    ports: svc.ports.map((p) => ({ ...p, container: own.get(p.container) ?? p.container })),
    expose: svc.expose.map((p) => own.get(p) ?? p),
    ...(h ? { healthcheck: { ...h, test: typeof h.test === 'string' ? bare(h.test) : h.test.map(bare) } } : {}),
  };
}

function fail(stack: string, what: string): never {
  throw new ConductorError('INVALID_ARGUMENT', `stack ${stack}: ${what}`, {
    hint: 'change the stack definition, or render for Kubernetes',
  });
}
