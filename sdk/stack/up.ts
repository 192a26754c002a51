import { buildImage } from '../image/build.ts';
import { images } from '../image/images.ts';
import { ps, run } from '../container/container.ts';
import { stopMany, type StopManyOptions } from '../container/stop-many.ts';
import type { StopResult } from '../container/stop.ts';
import { peer } from '../network/peer.ts';
import { resolvePaths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { ContainerInfo, ImageInfo } from '../types.ts';
import { resolveEnv } from './env-template.ts';
import { waitHealthy } from './health.ts';
import { loadStackRecord, removeStackRecord, saveStackRecord, serviceHash, type StackRecord } from './records.ts';
import type { Service, Stack } from './types.ts';

export interface UpOptions {
  root?: string;
  log?: Logger;
  signal?: AbortSignal;
  /** Rebuild images of services with `build` (default: only those whose image is missing). */
  build?: boolean;
  /** Also wait until every service with a healthcheck is healthy (compose's `up --wait`). */
  wait?: boolean;
  /** Relative build files and contexts are taken from here (default: the current directory). */
  cwd?: string;
}

export interface UpResult {
  started: string[];
  /** Services left as they were: definition and image unchanged, containers running. */
  unchanged: string[];
  /** `await using s = await up(stack)`: the stack is taken down when the block ends, also on a throw. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Brings a stack up: builds what needs building, then per start level (in parallel inside a level)
 * runs each service with its network, peers it, and waits for what its dependents need (`started`
 * or `healthy`). A service whose definition and image are unchanged and whose containers run is
 * left alone, so a second `up` does nothing. On failure it stops what this call started and names
 * the service and the step.
 *
 * @example
 * const stack = (await import('./stacks/demo.ts')).default;
 * await up(stack, { log: createLogger() });
 */
export async function up(stack: Stack, opts: UpOptions = {}): Promise<UpResult> {
  const log = opts.log ?? silentLogger();
  const paths = resolvePaths(opts.root);
  const common = { root: opts.root, log };
  const prev = loadStackRecord(paths, stack.name);
  const record: StackRecord = { version: 1, name: stack.name, services: {} };
  const running = new Map((await ps({ root: opts.root })).map((c) => [c.name, c]));
  const started: string[] = [];
  const unchanged: string[] = [];
  const addresses = new Map<string, string>();
  try {
    const imgs = await imagesFor(stack, opts, log);
    for (const level of stack.levels) {
      await Promise.all(
        level.map(async (name) => {
          const svc = stack.services[name]!;
          const hash = serviceHash(svc, imgs.get(svc.image)!);
          const live = svc.containerNames
            .map((c) => running.get(c))
            .filter((c): c is ContainerInfo => c?.status === 'running');
          if (prev?.services[name]?.hash === hash && live.length === svc.containerNames.length) {
            unchanged.push(name);
            if (live[0]?.ip) addresses.set(name, live[0].ip);
          } else {
            await step(name, 'replace', () => stopAll(svc.containerNames, { ...common, ignoreMissing: true }));
            for (const c of svc.containerNames) {
              const env = resolveEnv(svc.env, (peer) => addresses.get(peer)!);
              const h = await step(name, `run ${c}`, () =>
                run(svc.image, c, {
                  ...common,
                  detach: true,
                  ...(svc.command || svc.entrypoint
                    ? { command: [...(svc.entrypoint ?? []), ...(svc.command ?? [])] }
                    : {}),
                  env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
                  network: { internet: svc.internet, expose: svc.ports },
                  limits: svc.limits,
                  mounts: svc.mounts,
                }),
              );
              started.push(c);
              if (h.ip && !addresses.has(name)) addresses.set(name, h.ip);
            }
          }
          record.services[name] = { hash, containers: svc.containerNames };
        }),
      );
      // Peer each pair once both ends run, then wait for what later levels depend on.
      for (const name of level) {
        for (const other of stack.services[name]!.peers) {
          if (!record.services[other] || (other > name && level.includes(other))) continue;
          if (unchanged.includes(name) && unchanged.includes(other)) continue;
          for (const a of stack.services[name]!.containerNames)
            for (const b of stack.services[other]!.containerNames)
              await step(name, `peer with ${other}`, () => peer(a, b, common));
        }
      }
      await Promise.all(level.map((name) => awaitCondition(stack, stack.services[name]!, opts)));
    }
  } catch (e) {
    log.error(`up ${stack.name} failed: ${(e as Error).message}; stopping what it started`);
    await stopMany(started, { root: opts.root, ignoreMissing: true, timeoutSeconds: 2 });
    throw e;
  }
  saveStackRecord(paths, record);
  return {
    started,
    unchanged,
    [Symbol.asyncDispose]: async () => {
      await down(stack, { root: opts.root, log });
    },
  };
}

/** Healthy, when a dependent (or `wait`) asks for it; started needs no wait: `run` returned. */
async function awaitCondition(stack: Stack, svc: Service, opts: UpOptions): Promise<void> {
  const wanted = opts.wait || Object.values(stack.services).some((s) => s.dependsOn[svc.name] === 'healthy');
  if (!wanted || !svc.healthcheck) return;
  for (const c of svc.containerNames) {
    await step(svc.name, 'wait until healthy', () =>
      waitHealthy(c, svc.healthcheck!, { root: opts.root, signal: opts.signal }),
    );
  }
}

async function imagesFor(stack: Stack, opts: UpOptions, log: Logger): Promise<Map<string, ImageInfo>> {
  const have = new Map((await images({ root: opts.root })).map((i) => [i.name, i]));
  const builds = new Map<string, Service>();
  for (const s of Object.values(stack.services))
    if (s.build && (opts.build || !have.has(s.image))) builds.set(s.image, s);
  for (const [image, s] of builds) {
    const cwd = opts.cwd ?? process.cwd();
    const abs = (p: string) => (p.startsWith('/') ? p : `${cwd}/${p}`);
    have.set(
      image,
      await step(s.name, `build ${image}`, () =>
        buildImage(image, {
          root: opts.root,
          log,
          file: abs(s.build!.file),
          context: abs(s.build!.context),
          signal: opts.signal,
        }),
      ),
    );
  }
  for (const s of Object.values(stack.services)) {
    if (!have.has(s.image))
      throw new ConductorError(
        'IMAGE_NOT_FOUND',
        `stack ${stack.name}: service ${s.name}: image ${s.image} not found`,
        { hint: `build it, or give the service a build: { file, context }` },
      );
  }
  return have;
}

async function step<T>(service: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ConductorError && e.message.startsWith(`service ${service}: `)) throw e;
    const err = e instanceof ConductorError ? e : new ConductorError('COMMAND_FAILED', (e as Error).message);
    err.message = `service ${service}: ${what}: ${err.message}`;
    throw err;
  }
}

/** stopMany, whose first failure (after all the others have stopped) is thrown. */
async function stopAll(names: string[], opts: StopManyOptions): Promise<StopResult[]> {
  const { stopped, failed } = await stopMany(names, opts);
  if (failed[0]) throw failed[0].error;
  return stopped;
}

export interface DownOptions {
  root?: string;
  log?: Logger;
  timeoutSeconds?: number;
}

/**
 * Stops every container of the stack in parallel; named volumes stay.
 * @example const stopped = await down(defineStack(definition)); // the container names
 */
export async function down(stack: Stack, opts: DownOptions = {}): Promise<string[]> {
  const names = Object.values(stack.services).flatMap((s) => s.containerNames);
  const results = await stopAll(names, {
    root: opts.root,
    log: opts.log,
    ignoreMissing: true,
    timeoutSeconds: opts.timeoutSeconds ?? 10,
  });
  removeStackRecord(resolvePaths(opts.root), stack.name);
  return results.filter((r) => r.exitCode !== null || r.killed).map((r) => r.name);
}

export interface ServiceStatus {
  service: string;
  container: string;
  status: ContainerInfo['status'] | 'missing';
  ip: string | null;
  ports: ContainerInfo['ports'];
}

/**
 * Each container of the stack as `ps` sees it.
 * @example for (const s of await status(stack)) console.log(s.service, s.status);
 */
export async function status(stack: Stack, opts: { root?: string } = {}): Promise<ServiceStatus[]> {
  const all = new Map((await ps({ root: opts.root, all: true })).map((c) => [c.name, c]));
  return Object.values(stack.services).flatMap((s) =>
    s.containerNames.map((c) => {
      const i = all.get(c);
      return {
        service: s.name,
        container: c,
        status: i?.status ?? 'missing',
        ip: i?.ip ?? null,
        ports: i?.ports ?? [],
      };
    }),
  );
}
