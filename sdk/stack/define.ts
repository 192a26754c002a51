import { ConductorError } from '../errors.ts';
import { parseMemory } from '../limits/parse.ts';
import { isValidName } from '../names.ts';
import type { ResourceLimits } from '../types.ts';
import { startLevels } from './order.ts';
import { envReferences } from './env-template.ts';
import type { Service, ServiceDefinition, Stack, StackDefinition } from './types.ts';

const CONDITIONS = new Set(['started', 'healthy']);
const RESTARTS = new Set(['no', 'on-failure', 'always', 'unless-stopped']);
const MOUNT_TYPES = new Set(['volume', 'bind', 'tmpfs']);

/**
 * Validates a stack and fills in every default; the result is what `up`, `down` and the renderers take.
 * Refuses, with the stack and service named: invalid names, a service with neither image nor build,
 * unknown services in `peers`, `dependsOn` or `{{...}}` env references (which also order the start), a
 * dependency cycle, two
 * services (or replicas) on one host port, a `healthy` dependency on a service without a healthcheck.
 *
 * @example
 * const demo = defineStack({
 *   name: 'demo',
 *   services: {
 *     counter: { build: { file: 'conductorfiles/counter-service.Conductorfile', context: '.' }, expose: [8080] },
 *     web: { image: 'external-service', ports: [{ container: 8080, host: 3000 }], peers: ['counter'],
 *            env: { COUNTER_SERVICE_URL: 'http://{{counter}}:8080' }, dependsOn: { counter: 'started' } },
 *   },
 * });
 */
export function defineStack(def: StackDefinition): Stack {
  const stack = def?.name;
  if (typeof stack !== 'string' || !isValidName(stack))
    fail(String(stack), `invalid stack name ${JSON.stringify(stack)}`, NAME_HINT);
  const entries = Object.entries(def.services ?? {});
  if (!entries.length) fail(stack, 'defines no services', 'add at least one entry under services');
  const known = new Set(entries.map(([n]) => n));
  const peers = new Map<string, Set<string>>(entries.map(([n]) => [n, new Set<string>()]));
  for (const [name, svc] of entries) {
    for (const p of svc.peers ?? []) {
      refer(stack, name, 'peers', p, known);
      peers.get(name)!.add(p);
      peers.get(p)!.add(name);
    }
  }
  const services: Record<string, Service> = {};
  for (const [name, svc] of entries) services[name] = service(stack, name, svc, known, peers.get(name)!);
  checkAcrossServices(stack, Object.values(services));
  // A service whose env names a peer starts after it: the env carries the peer's address.
  const deps = Object.values(services).map((s) => [
    s.name,
    [...new Set([...Object.keys(s.dependsOn), ...Object.values(s.env).flatMap(envReferences)])],
  ]);
  const levels = startLevels(stack, Object.fromEntries(deps));
  return { name: stack, services, levels };
}

const NAME_HINT = 'use 1-63 characters from [a-zA-Z0-9_.-], starting with a letter or digit';

function fail(stack: string, what: string, hint: string, service?: string): never {
  throw new ConductorError('INVALID_ARGUMENT', `stack ${stack}: ${service ? `service ${service}: ` : ''}${what}`, {
    hint,
  });
}

function refer(stack: string, from: string, field: string, to: string, known: Set<string>): void {
  if (to === from) fail(stack, `${field} names the service itself`, `remove "${to}" from ${field}`, from);
  if (!known.has(to))
    fail(stack, `${field} names unknown service "${to}"`, `known services: ${[...known].sort().join(', ')}`, from);
}

function port(stack: string, svc: string, what: string, p: unknown): number {
  if (!Number.isInteger(p) || (p as number) < 1 || (p as number) > 65535)
    fail(stack, `${what} ${String(p)} is not a port`, 'use an integer from 1 to 65535', svc);
  return p as number;
}

function service(stack: string, name: string, d: ServiceDefinition, known: Set<string>, peers: Set<string>): Service {
  if (!isValidName(name)) fail(stack, `invalid service name ${JSON.stringify(name)}`, NAME_HINT);
  if (!d.image && !d.build)
    fail(stack, 'has neither image nor build', 'set image: "<name>" or build: { file, context }', name);
  const image = d.image ?? `${stack}-${name}`;
  if (!isValidName(image)) fail(stack, `invalid image name ${JSON.stringify(image)}`, NAME_HINT, name);
  const dependsOn = { ...(d.dependsOn ?? {}) };
  for (const [dep, cond] of Object.entries(dependsOn)) {
    refer(stack, name, 'dependsOn', dep, known);
    if (!CONDITIONS.has(cond)) fail(stack, `dependsOn.${dep} is "${String(cond)}"`, 'use "started" or "healthy"', name);
  }
  const env = { ...(d.env ?? {}) };
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== 'string') fail(stack, `env ${k} is not a string`, 'quote the value', name);
    for (const ref of envReferences(v)) {
      refer(stack, name, `env ${k}`, ref, known);
      if (!peers.has(ref))
        fail(stack, `env ${k} refers to "${ref}", which is not a peer`, `add "${ref}" to peers`, name);
    }
  }
  const replicas = d.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1)
    fail(stack, `replicas ${String(d.replicas)}`, 'use an integer of 1 or more', name);
  const restart = d.restart ?? 'no';
  if (!RESTARTS.has(restart))
    fail(stack, `restart "${String(restart)}"`, 'use no, on-failure, always or unless-stopped', name);
  const mounts = (d.mounts ?? []).map((m) => {
    if (!MOUNT_TYPES.has(m.type)) fail(stack, `mount type "${String(m.type)}"`, 'use volume, bind or tmpfs', name);
    if (!m.target?.startsWith('/'))
      fail(stack, `mount target ${JSON.stringify(m.target)} is not absolute`, 'use a path starting with /', name);
    if (m.type !== 'tmpfs' && !m.source)
      fail(stack, `${m.type} mount on ${m.target} has no source`, 'set source', name);
    return { ...m };
  });
  const base = d.containerName ?? `${stack}-${name}`;
  const containerNames = replicas === 1 ? [base] : Array.from({ length: replicas }, (_, i) => `${base}-${i + 1}`);
  for (const c of containerNames)
    if (!isValidName(c)) fail(stack, `container name ${JSON.stringify(c)} is invalid`, NAME_HINT, name);
  const svc: Service = {
    name,
    image,
    ...(d.build ? { build: { file: d.build.file, context: d.build.context, args: { ...(d.build.args ?? {}) } } } : {}),
    ...(d.command ? { command: [...d.command] } : {}),
    ...(d.entrypoint ? { entrypoint: [...d.entrypoint] } : {}),
    env,
    ports: (d.ports ?? []).map((p) => ({
      container: port(stack, name, 'container port', p.container),
      host: port(stack, name, 'host port', p.host),
    })),
    expose: [...new Set((d.expose ?? []).map((p) => port(stack, name, 'exposed port', p)))].sort((a, b) => a - b),
    internet: Boolean(d.internet),
    peers: [...peers].sort(),
    mounts,
    limits: limits(stack, name, d.limits),
    ...(d.healthcheck ? { healthcheck: { ...d.healthcheck } } : {}),
    dependsOn,
    restart,
    replicas,
    containerNames,
  };
  if (replicas > 1 && svc.ports.length)
    fail(
      stack,
      `${replicas} replicas cannot share host port ${svc.ports[0]!.host}`,
      'publish from one replica, or drop replicas',
      name,
    );
  return svc;
}

function limits(stack: string, name: string, l: ServiceDefinition['limits']): ResourceLimits {
  const out: ResourceLimits = {};
  if (l?.memory !== undefined) out.memory = typeof l.memory === 'number' ? l.memory : parseMemory(l.memory);
  if (l?.cpus !== undefined) {
    if (!(l.cpus > 0)) fail(stack, `limits.cpus ${String(l.cpus)}`, 'use a number of CPUs above 0, e.g. 0.5', name);
    out.cpus = l.cpus;
  }
  if (l?.pids !== undefined) {
    if (!Number.isInteger(l.pids) || l.pids < 1)
      fail(stack, `limits.pids ${String(l.pids)}`, 'use an integer of 1 or more', name);
    out.pids = l.pids;
  }
  return out;
}

function checkAcrossServices(stack: string, services: Service[]): void {
  const owner = new Map<number, string>();
  for (const s of services) {
    for (const p of s.ports) {
      const other = owner.get(p.host);
      if (other)
        fail(
          stack,
          `host port ${p.host} is published by both ${other} and ${s.name}`,
          'give each service its own host port',
        );
      owner.set(p.host, s.name);
    }
    for (const [dep, cond] of Object.entries(s.dependsOn)) {
      if (cond === 'healthy' && !services.find((x) => x.name === dep)?.healthcheck) {
        fail(
          stack,
          `waits for ${dep} to be healthy, but ${dep} has no healthcheck`,
          `add a healthcheck to ${dep}, or depend on "started"`,
          s.name,
        );
      }
    }
  }
}
