/**
 * Resolving what a build step names, for the planner: base images and earlier stages, COPY
 * --from sources, WORKDIR and COPY destinations, EXPOSE ports, and variable expansion errors
 * reported at the instruction's `file:line`.
 */
import path from 'node:path';
import { ConductorError } from '../errors.ts';
import type { Distro, ImageConfig } from '../types.ts';
import { SUPPORTED_BASES } from './base-plan.ts';
import { parseError } from './conductorfile-lines.ts';
import type { ParsedFile } from './conductorfile-syntax.ts';
import { DEFAULT_PATH, envMap } from './image-config.ts';
import { isValidName } from '../names.ts';
import { expandWord, SubstitutionError, type Lookup } from './substitution.ts';
import type { BuildStage, CopyFrom, ImageRef, PlanOptions } from './plan-steps.ts';
import { isRegistryReference, parseReference } from './oci/reference.ts';

export interface StageState {
  config: ImageConfig;
  /** ENV and ARG values in the order set: what `$VAR` means and what a RUN's environment is. */
  vars: Map<string, string>;
}

export interface Ctx {
  file: ParsedFile;
  line: number;
  keyword: string;
}

export const fail = (ctx: Ctx, message: string): ConductorError => parseError(ctx.file.fileName, ctx.line, message);

export function expand(ctx: Ctx, word: string, lookup: Lookup): string {
  try {
    return expandWord(word, lookup);
  } catch (e) {
    if (e instanceof SubstitutionError) throw fail(ctx, `${ctx.keyword}: ${e.message}`);
    throw e;
  }
}

export const lookupIn =
  (vars: ReadonlyMap<string, string>): Lookup =>
  (name) =>
    vars.get(name);

const SUPPORTED_LIST = (Object.keys(SUPPORTED_BASES) as Distro[])
  .flatMap((d) => SUPPORTED_BASES[d].map((s) => `${d}:${s}`))
  .join(', ');

export function resolveImage(ctx: Ctx, ref: string, opts: PlanOptions): { ref: ImageRef; config?: ImageConfig } {
  // The rule that tells a registry image from a base or a local image: sdk/image/oci/reference.ts.
  if (isRegistryReference(ref)) {
    try {
      parseReference(ref);
    } catch (e) {
      throw fail(ctx, (e as Error).message);
    }
    return { ref: { kind: 'registry', ref } };
  }
  if (ref === 'scratch') throw fail(ctx, 'not supported: FROM scratch (start from a debootstrap base)');
  const m = /^(debian|ubuntu):([a-z0-9]+)$/.exec(ref);
  if (m && SUPPORTED_BASES[m[1] as Distro].includes(m[2]!))
    return { ref: { kind: 'base', base: { distro: m[1] as Distro, suite: m[2]! } } };
  // Bare "debian" would be debian:latest in Docker; guessing a suite would build something else.
  if (m || ref === 'debian' || ref === 'ubuntu' || !isValidName(ref)) {
    throw fail(ctx, `unsupported base ${JSON.stringify(ref)} (supported: ${SUPPORTED_LIST}, or a local image)`);
  }
  const found = opts.lookupImage?.(ref);
  if (!found) {
    throw new ConductorError(
      'IMAGE_NOT_FOUND',
      `${ctx.file.fileName}:${ctx.line}: image "${ref}" not found (build it first, or use one of ${SUPPORTED_LIST})`,
    );
  }
  return { ref: { kind: 'image', name: ref }, config: found.config };
}

export const refText = (ref: ImageRef): string =>
  ref.kind === 'base' ? `${ref.base.distro}:${ref.base.suite}` : ref.kind === 'registry' ? ref.ref : ref.name;

export function withPath(config: ImageConfig): ImageConfig {
  // BuildKit makes sure PATH is always set, so `$PATH` expands and RUN finds its tools.
  return envMap(config.env).has('PATH') ? config : { ...config, env: [...config.env, `PATH=${DEFAULT_PATH}`] };
}

/** Absolute, normalised; relative paths resolve against the current one; no trailing slash. */
export function resolveWorkdir(current: string | undefined, p: string): string {
  return path.posix
    .normalize(path.posix.join('/', p.startsWith('/') ? '' : (current ?? '/'), p))
    .replace(/(?<=.)\/+$/, '');
}

export function resolveDest(workdir: string | undefined, dest: string): string {
  const into = dest.endsWith('/') || dest === '.' || dest === './';
  const abs = resolveWorkdir(workdir, dest);
  return into && abs !== '/' ? `${abs}/` : abs;
}

// A plain-form token cannot contain whitespace or start with '['; anything else is written as JSON,
// so the text is unambiguous and two different COPYs never share one.
export const plainToken = (p: string): boolean => !/\s/.test(p) && !p.startsWith('[');

export function parsePorts(ctx: Ctx, spec: string): string[] {
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?(?:\/([a-zA-Z]+))?$/.exec(spec);
  const proto = (m?.[3] ?? 'tcp').toLowerCase();
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || !['tcp', 'udp', 'sctp'].includes(proto) || lo < 1 || hi > 65535 || hi < lo) {
    throw fail(
      ctx,
      `EXPOSE ${JSON.stringify(spec)} is not a port (write 8080, 53/udp or 8000-8010/tcp; ports 1-65535)`,
    );
  }
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto}`);
}

export const USER_SPEC = /^[^:\s]+(?::[^:\s]+)?$/;
export const CHOWN_SPEC = USER_SPEC;

export interface StagePlanner {
  file: ParsedFile;
  opts: PlanOptions;
  buildArgs: Readonly<Record<string, string>>;
  meta: Map<string, string>;
  stages: BuildStage[];
  finals: StageState[];
  /** Every stage name with its index, so a COPY --from of a later stage gets Docker's error. */
  names: Map<string, number>;
  warnings: string[];
}

export function copyFrom(p: StagePlanner, ctx: Ctx, raw: string, current: number): CopyFrom {
  if (expand(ctx, raw, () => undefined) !== raw) {
    throw fail(
      ctx,
      'variable expansion is not supported in COPY --from (define a stage with FROM $ARG and copy from it)',
    );
  }
  if (/^[0-9]+$/.test(raw)) {
    const index = Number(raw);
    if (index >= current)
      throw fail(ctx, `COPY --from=${raw}: stage ${index} is not before this one (stages are numbered from 0)`);
    return { kind: 'stage', index };
  }
  const named = p.names.get(raw.toLowerCase());
  if (named !== undefined) {
    if (named >= current)
      throw fail(
        ctx,
        `COPY --from=${raw}: stage "${raw.toLowerCase()}" must be defined before the stage that copies from it`,
      );
    return { kind: 'stage', index: named };
  }
  return resolveImage(ctx, raw, p.opts).ref;
}
