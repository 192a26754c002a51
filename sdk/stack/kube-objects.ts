import type {
  V1Container,
  V1Deployment,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
  V1Probe,
  V1Service,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import type { Healthcheck, Service, Stack } from './types.ts';
import { resolveEnv } from './env-template.ts';

/** A Kubernetes object and the comment written above it (why it looks as it does). */
export interface KubeDocument {
  object: V1Deployment | V1Service | Omit<V1NetworkPolicy, 'spec'> | V1PersistentVolumeClaim;
  comment?: string;
}

export const NODE_PORTS = { min: 30000, max: 32767 };

export function labelsOf(stack: Stack, svc: Service): Record<string, string> {
  return { 'app.kubernetes.io/name': svc.name, 'app.kubernetes.io/part-of': stack.name };
}

/** Docker's HEALTHCHECK as a Kubernetes probe: the same command, period, timeout and retries. */
export function probeOf(h: Healthcheck): V1Probe {
  const seconds = (ms: number | undefined, dflt: number) => Math.max(1, Math.round((ms ?? dflt) / 1000));
  return {
    exec: { command: typeof h.test === 'string' ? ['/bin/sh', '-c', h.test] : [...h.test] },
    periodSeconds: seconds(h.intervalMs, 30_000),
    timeoutSeconds: seconds(h.timeoutMs, 30_000),
    failureThreshold: h.retries ?? 3,
    ...(h.startPeriodMs ? { initialDelaySeconds: seconds(h.startPeriodMs, 0) } : {}),
  };
}

/** Bytes as a Kubernetes quantity: Gi or Mi or Ki when exact, else plain bytes. */
export function quantity(bytes: number): string {
  for (const [unit, size] of [
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** The container of a service: Docker's ENTRYPOINT/CMD map to Kubernetes' command/args. */
export function containerOf(svc: Service, image: string, hostOf: (s: string) => string): V1Container {
  const env = resolveEnv(svc.env, hostOf);
  const limits: Record<string, string> = {};
  if (svc.limits.memory !== undefined) limits.memory = quantity(svc.limits.memory);
  if (svc.limits.cpus !== undefined) limits.cpu = `${Math.round(svc.limits.cpus * 1000)}m`;
  const ports = [...new Set([...svc.ports.map((p) => p.container), ...svc.expose])].sort((a, b) => a - b);
  return {
    name: svc.name,
    image,
    ...(svc.entrypoint ? { command: svc.entrypoint } : {}),
    ...(svc.command ? { args: svc.command } : {}),
    ...(Object.keys(env).length ? { env: Object.entries(env).map(([name, value]) => ({ name, value })) } : {}),
    ...(ports.length ? { ports: ports.map((containerPort) => ({ containerPort })) } : {}),
    ...(Object.keys(limits).length ? { resources: { limits } } : {}),
    ...(svc.healthcheck ? { readinessProbe: probeOf(svc.healthcheck), livenessProbe: probeOf(svc.healthcheck) } : {}),
    securityContext: { allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } },
  };
}

/** Pod volumes and mounts: named volumes as claims, tmpfs as memory-backed emptyDirs, binds as hostPaths. */
export function volumesOf(
  stack: Stack,
  svc: Service,
): { volumes: V1Volume[]; mounts: V1VolumeMount[]; claims: KubeDocument[] } {
  const volumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  const claims: KubeDocument[] = [];
  svc.mounts.forEach((m, i) => {
    const name = m.type === 'volume' ? `${stack.name}-${m.source}` : `${m.type}-${i}`;
    mounts.push({ name, mountPath: m.target, ...(m.readonly ? { readOnly: true } : {}) });
    if (m.type === 'tmpfs') volumes.push({ name, emptyDir: { medium: 'Memory' } });
    else if (m.type === 'bind') volumes.push({ name, hostPath: { path: m.source!, type: 'Directory' } });
    else {
      volumes.push({ name, persistentVolumeClaim: { claimName: name } });
      claims.push({
        object: {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name, labels: { 'app.kubernetes.io/part-of': stack.name } },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
        comment: `volume ${m.source} of ${svc.name}: size it for your data`,
      });
    }
  });
  return { volumes, mounts, claims };
}
