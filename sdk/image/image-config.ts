/**
 * Image config rules, pure: the defaults of a fresh base, and how `run` combines an image's
 * ENTRYPOINT, CMD and ENV with what the user asked for, exactly as Docker's daemon does
 * (daemon `merge` of the user's and the image's config, then `getEntrypointAndArgs`).
 */
import type { ImageConfig } from '../types.ts';

/** Docker's default PATH for Linux containers (also what debootstrap bases expect). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The shell form's default interpreter on Linux, as in Docker. */
export const DEFAULT_SHELL: readonly string[] = Object.freeze(['/bin/sh', '-c']);

/** Used when neither the image nor the user names a command: conductor's interactive default. */
export const FALLBACK_COMMAND: readonly string[] = Object.freeze(['/bin/bash']);

/**
 * The config of a debootstrap base (and of images built before conductor recorded one).
 *
 * @example
 * defaultImageConfig().env; // ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']
 */
export function defaultImageConfig(): ImageConfig {
  return { env: [`PATH=${DEFAULT_PATH}`], exposedPorts: [], labels: {}, shell: [...DEFAULT_SHELL], volumes: [] };
}

/** A deep copy, so each build step can hold the config as it was after that step. */
export function cloneConfig(c: ImageConfig): ImageConfig {
  const out: ImageConfig = {
    env: [...c.env],
    exposedPorts: [...c.exposedPorts],
    labels: { ...c.labels },
    shell: [...c.shell],
    volumes: [...c.volumes],
  };
  if (c.cmd) out.cmd = [...c.cmd];
  if (c.entrypoint) out.entrypoint = [...c.entrypoint];
  if (c.workdir !== undefined) out.workdir = c.workdir;
  if (c.user !== undefined) out.user = c.user;
  if (c.stopSignal !== undefined) out.stopSignal = c.stopSignal;
  if (c.healthcheck) out.healthcheck = { ...c.healthcheck, test: [...c.healthcheck.test] };
  return out;
}

const keyOf = (kv: string): string => {
  const i = kv.indexOf('=');
  return i < 0 ? kv : kv.slice(0, i);
};

/** Replaces `key`'s entry in place, or appends it (the image's order stays stable across rebuilds). */
export function setEnv(env: string[], key: string, value: string): string[] {
  const i = env.findIndex((kv) => keyOf(kv) === key);
  const out = [...env];
  if (i < 0) out.push(`${key}=${value}`);
  else out[i] = `${key}=${value}`;
  return out;
}

/** `KEY=value` entries as a map (the last one of a key wins). */
export function envMap(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env) {
    const i = kv.indexOf('=');
    m.set(i < 0 ? kv : kv.slice(0, i), i < 0 ? '' : kv.slice(i + 1));
  }
  return m;
}

/**
 * The container's environment from the image's and the user's, Docker's
 * ReplaceOrAppendEnvValues: a user `KEY=value` replaces the image's KEY in place or is appended;
 * a bare `KEY` removes it. (A CLI that reads `-e KEY` from the host resolves it before calling this,
 * as docker's CLI does; a bare name that reaches here unsets.)
 *
 * @example
 * mergeEnv(['PATH=/bin', 'MODE=prod', 'DEBUG=1'], ['MODE=dev', 'DEBUG', 'EXTRA=x']);
 * // ['PATH=/bin', 'MODE=dev', 'EXTRA=x']
 */
export function mergeEnv(imageEnv: readonly string[], userEnv: readonly string[]): string[] {
  let out = [...imageEnv];
  const unset = new Set<string>();
  for (const kv of userEnv) {
    const key = keyOf(kv);
    if (!kv.includes('=')) {
      unset.add(key);
      continue;
    }
    unset.delete(key);
    const i = kv.indexOf('=');
    out = setEnv(out, key, kv.slice(i + 1));
  }
  return out.filter((kv) => !unset.has(keyOf(kv)));
}

export interface CommandOverrides {
  /** Arguments after the image name (`run IMG NAME -- args`); empty means none given. */
  command?: readonly string[];
  /** `--entrypoint`: replaces the image's; `[]` clears it (docker's `--entrypoint ''`). */
  entrypoint?: readonly string[];
}

/**
 * The argv a container runs, by Docker's rules:
 * - no override: the image's ENTRYPOINT followed by the run arguments, or by the image's CMD when
 *   there are none;
 * - `--entrypoint X`: X followed by the run arguments only; the image's CMD is dropped;
 * - `--entrypoint ''` (`[]`): no entrypoint, then the run arguments or the image's CMD;
 * - nothing at all: conductor's /bin/bash (where Docker refuses with "no command specified").
 * A shell-form ENTRYPOINT is stored as `[shell..., "text"]`, so whatever follows it becomes the
 * shell's $0, $1...: the text the user wrote never sees CMD or run arguments ("ignored", in
 * Docker's table), yet the argv is Docker's exactly.
 *
 * @example
 * resolveCommand({ ...defaultImageConfig(), entrypoint: ['/app'], cmd: ['--port', '80'] }, {});
 * // ['/app', '--port', '80']
 * resolveCommand({ ...defaultImageConfig(), entrypoint: ['/app'], cmd: ['--port', '80'] }, { command: ['-v'] });
 * // ['/app', '-v']
 */
export function resolveCommand(
  config: Pick<ImageConfig, 'cmd' | 'entrypoint'>,
  overrides: CommandOverrides = {},
): string[] {
  const args = overrides.command && overrides.command.length > 0 ? [...overrides.command] : undefined;
  let entrypoint: string[];
  let cmd: string[];
  if (overrides.entrypoint !== undefined && overrides.entrypoint.length > 0) {
    entrypoint = [...overrides.entrypoint];
    cmd = args ?? [];
  } else {
    entrypoint = overrides.entrypoint !== undefined ? [] : [...(config.entrypoint ?? [])];
    cmd = args ?? [...(config.cmd ?? [])];
  }
  const argv = [...entrypoint, ...cmd];
  return argv.length > 0 ? argv : [...FALLBACK_COMMAND];
}
