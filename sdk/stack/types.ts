import type { Mount, ResourceLimits } from '../types.ts';

/** How a service's container checks its own health (Docker's HEALTHCHECK, Kubernetes' probes). */
export interface Healthcheck {
  /** Exec form (`['curl', '-f', 'http://localhost/']`) or a shell command run by `/bin/sh -c`. */
  test: string[] | string;
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export type DependencyCondition = 'started' | 'healthy';
export type RestartPolicy = 'no' | 'on-failure' | 'always' | 'unless-stopped';

/** One service of a stack, as the user writes it. */
export interface ServiceDefinition {
  /** The image to run; with `build`, the name the built image gets (default `<stack>-<service>`). */
  image?: string;
  build?: { file: string; context: string; args?: Record<string, string> };
  /** Replaces the image's CMD. */
  command?: string[];
  /** Replaces the image's ENTRYPOINT. */
  entrypoint?: string[];
  /** Values may name a peer as `{{service}}`: its address wherever the stack runs. */
  env?: Record<string, string>;
  /** Ports published on the host. */
  ports?: Array<{ container: number; host: number }>;
  /** Ports only peers reach (Docker's EXPOSE). */
  expose?: number[];
  internet?: boolean;
  peers?: string[];
  mounts?: Mount[];
  limits?: { memory?: string | number; cpus?: number; pids?: number };
  healthcheck?: Healthcheck;
  dependsOn?: Record<string, DependencyCondition>;
  restart?: RestartPolicy;
  replicas?: number;
  /** The container name (default `<stack>-<service>`; `-<n>` appended per replica beyond one). */
  containerName?: string;
}

export interface StackDefinition {
  name: string;
  services: Record<string, ServiceDefinition>;
}

/** A service after validation: every default filled in, peers symmetric. */
export interface Service {
  name: string;
  image: string;
  build?: { file: string; context: string; args: Record<string, string> };
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  ports: Array<{ container: number; host: number }>;
  expose: number[];
  internet: boolean;
  /** Both directions: a service lists every service it is peered with. */
  peers: string[];
  mounts: Mount[];
  limits: ResourceLimits;
  healthcheck?: Healthcheck;
  dependsOn: Record<string, DependencyCondition>;
  restart: RestartPolicy;
  replicas: number;
  containerNames: string[];
}

/** A validated stack: what `up`, `down` and the renderers take. */
export interface Stack {
  name: string;
  services: Record<string, Service>;
  /** Start order: each level depends only on earlier ones, so a level's services start in parallel. */
  levels: string[][];
}
