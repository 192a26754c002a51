/**
 * The records of a build plan (stages, steps, what they start from and copy from), and what is
 * derived from them alone: which steps make layers, the chain of cache keys, unused build args.
 */
import type { BaseRef, ImageConfig } from '../types.ts';
import type { CacheMount } from './cache-mounts.ts';
import type { ParsedFile } from './conductorfile-syntax.ts';

/** Something a stage can start from, or COPY --from can read: a debootstrap base or a local image. */
export type ImageRef =
  { kind: 'base'; base: BaseRef } | { kind: 'image'; name: string } | { kind: 'registry'; ref: string };

export type StageBase = ImageRef | { kind: 'stage'; index: number };

export type CopyFrom = { kind: 'context' } | ImageRef | { kind: 'stage'; index: number };

export type MetaInstruction =
  | 'ARG'
  | 'ENV'
  | 'LABEL'
  | 'CMD'
  | 'ENTRYPOINT'
  | 'SHELL'
  | 'WORKDIR'
  | 'USER'
  | 'EXPOSE'
  | 'STOPSIGNAL'
  | 'VOLUME'
  | 'HEALTHCHECK';

interface StepBase {
  line: number;
  /** Canonical text after expansion: what the log shows and the cache key hashes. */
  text: string;
  /** The image config once this step is done. */
  config: ImageConfig;
}

export type BuildStep =
  | (StepBase & {
      kind: 'RUN';
      /** Exec form as written, or the shell form behind the stage's SHELL (default /bin/sh -c). */
      argv: string[];
      /** ENV and in-scope ARG values, `KEY=value`: the step's environment (and, via the chain, its key). */
      env: string[];
      /** Predefined proxy build args (HTTP_PROXY...) not declared by an ARG: in the environment, never in a key. */
      proxyEnv: string[];
      workdir: string;
      user?: string;
      /** `--mount=type=cache` mounts as written, then the implicit apt cache (runMounts). */
      mounts: CacheMount[];
    })
  | (StepBase & {
      kind: 'COPY';
      from: CopyFrom;
      /** Context sources as written (checked to stay inside the context); other sources absolute in their root. */
      sources: string[];
      /** Absolute, against WORKDIR; a trailing "/" (or a "." destination) means "into this directory". */
      dest: string;
      chown?: string;
    })
  | (StepBase & { kind: 'META'; instruction: MetaInstruction });

export interface BuildStage {
  index: number;
  name?: string;
  /** The FROM line. */
  line: number;
  /** `FROM debian:bookworm AS build`, with the base resolved. */
  text: string;
  base: StageBase;
  steps: BuildStep[];
  /** The config after the last step (the base's when there is none). */
  config: ImageConfig;
  /** Earlier stages whose files this one needs: its base stage and its COPY --from stages. */
  dependsOn: number[];
  /** The debootstrap base at the bottom (through local images and stages); null: none (a registry image). */
  bottom: BaseRef | null;
}

export interface BuildPlan {
  stages: BuildStage[];
  /** The stage that becomes the image: the last one. */
  target: number;
  /** The stages the target needs, in build order; the others need not be built (BuildKit skips them). */
  order: number[];
  warnings: string[];
}

export interface PlanOptions {
  /** `--build-arg NAME=value`s. */
  buildArgs?: Readonly<Record<string, string>>;
  /** A local image by name: undefined when there is none; `config` absent for images that predate it. */
  lookupImage?: (name: string) => { config?: ImageConfig; base?: BaseRef } | undefined;
}

/** Docker's predefined ARGs: usable as build args without an ARG, and kept out of cache keys. */
export const PROXY_ARGS: ReadonlySet<string> = new Set(
  ['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY'].flatMap((n) => [n, n.toLowerCase()]),
);

export const makesLayer = (step: BuildStep): boolean => step.kind !== 'META';

/**
 * The chain of cache keys over a stage's steps, given its base's key and a hash of (parent, step).
 *
 * @example
 * chainKeys('base:debian-bookworm:1', stage.steps, (parent, step) => layerKey(parent, step.text));
 */
export function chainKeys(
  baseKey: string,
  steps: readonly BuildStep[],
  keyOf: (parent: string, step: BuildStep) => string,
): string[] {
  const keys: string[] = [];
  let parent = baseKey;
  for (const step of steps) {
    parent = keyOf(parent, step);
    keys.push(parent);
  }
  return keys;
}

/**
 * Docker's "One or more build-args were not consumed": one warning per build arg that no ARG of
 * the file declares (the predefined proxy args excepted).
 *
 * @example
 * unusedBuildArgs(parseDockerfile('FROM debian:bookworm\nARG A'), { A: '1', B: '2' });
 * // ['build arg "B" is not declared by any ARG in Conductorfile; it was ignored']
 */
export function unusedBuildArgs(file: ParsedFile, buildArgs: Readonly<Record<string, string>>): string[] {
  const declared = new Set<string>();
  const nodes = [...file.metaArgs, ...file.stages.flatMap((s) => s.instructions)];
  for (const n of nodes) if (n.kind === 'ARG') for (const a of n.args) declared.add(a.key);
  return Object.keys(buildArgs)
    .filter((k) => !declared.has(k) && !PROXY_ARGS.has(k))
    .map((k) => `build arg ${JSON.stringify(k)} is not declared by any ARG in ${file.fileName}; it was ignored`);
}
