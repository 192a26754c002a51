/**
 * The plan of a build, pure: parsed stages → for each stage its base, its steps (each either a
 * layer, RUN and COPY, or metadata only), the image config after every step, and each step's
 * cache-key text. Variables are expanded here with Docker's scoping; nothing is run or read.
 *
 * Cache keys chain over every step, metadata included: key(step) = H(key(previous), step.text
 * [, COPY's content hash]). So an ENV or ARG before a RUN is part of that RUN's key (its
 * environment changed), while a CMD after the last RUN changes only the final config.
 *
 * WORKDIR is metadata here. Docker also creates the directory (in a layer of its own); conductor
 * creates it as root in the container of the next RUN or COPY (the init helper's
 * --mkdir-workdir, so it lands in that step's layer) and, when no layer step follows, at run time.
 */
import path from 'node:path';
import { ConductorError } from '../errors.ts';
import type { BaseRef, Distro, ImageConfig } from '../types.ts';
import { SUPPORTED_BASES } from './base-plan.ts';
import { checkSourceInContext } from './copy-rules.ts';
import { parseError } from './conductorfile-lines.ts';
import type { InstructionNode, ParsedFile, StageNode } from './conductorfile-syntax.ts';
import { cloneConfig, defaultImageConfig, DEFAULT_PATH, envMap, setEnv } from './image-config.ts';
import { isValidName } from '../names.ts';
import { parseStopSignal } from './stop-signal.ts';
import { isRegistryReference, parseReference } from './oci/reference.ts';
import { expandWord, expandWords, SubstitutionError, type Lookup } from './substitution.ts';

/** Something a stage can start from, or COPY --from can read: a debootstrap base or a local image. */
export type ImageRef = { kind: 'base'; base: BaseRef } | { kind: 'image'; name: string } | { kind: 'registry'; ref: string };

export type StageBase = ImageRef | { kind: 'stage'; index: number };

export type CopyFrom = { kind: 'context' } | ImageRef | { kind: 'stage'; index: number };

export type MetaInstruction = 'ARG' | 'ENV' | 'LABEL' | 'CMD' | 'ENTRYPOINT' | 'SHELL' | 'WORKDIR' | 'USER' | 'EXPOSE' | 'STOPSIGNAL' | 'VOLUME';

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
  lookupImage?: (name: string) => { config?: ImageConfig } | undefined;
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
export function chainKeys(baseKey: string, steps: readonly BuildStep[], keyOf: (parent: string, step: BuildStep) => string): string[] {
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

interface StageState {
  config: ImageConfig;
  /** ENV and ARG values in the order set: what `$VAR` means and what a RUN's environment is. */
  vars: Map<string, string>;
}

interface Ctx {
  file: ParsedFile;
  line: number;
  keyword: string;
}

const fail = (ctx: Ctx, message: string): ConductorError => parseError(ctx.file.fileName, ctx.line, message);

function expand(ctx: Ctx, word: string, lookup: Lookup): string {
  try {
    return expandWord(word, lookup);
  } catch (e) {
    if (e instanceof SubstitutionError) throw fail(ctx, `${ctx.keyword}: ${e.message}`);
    throw e;
  }
}

const lookupIn =
  (vars: ReadonlyMap<string, string>): Lookup =>
  (name) =>
    vars.get(name);

const SUPPORTED_LIST = (Object.keys(SUPPORTED_BASES) as Distro[]).flatMap((d) => SUPPORTED_BASES[d].map((s) => `${d}:${s}`)).join(', ');

function resolveImage(ctx: Ctx, ref: string, opts: PlanOptions): { ref: ImageRef; config?: ImageConfig } {
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
  if (m && SUPPORTED_BASES[m[1] as Distro].includes(m[2]!)) return { ref: { kind: 'base', base: { distro: m[1] as Distro, suite: m[2]! } } };
  // Bare "debian" would be debian:latest in Docker; guessing a suite would build something else.
  if (m || ref === 'debian' || ref === 'ubuntu' || !isValidName(ref)) {
    throw fail(ctx, `unsupported base ${JSON.stringify(ref)} (supported: ${SUPPORTED_LIST}, or a local image)`);
  }
  const found = opts.lookupImage?.(ref);
  if (!found) {
    throw new ConductorError('IMAGE_NOT_FOUND', `${ctx.file.fileName}:${ctx.line}: image "${ref}" not found (build it first, or use one of ${SUPPORTED_LIST})`);
  }
  return { ref: { kind: 'image', name: ref }, config: found.config };
}

const refText = (ref: ImageRef): string => (ref.kind === 'base' ? `${ref.base.distro}:${ref.base.suite}` : ref.kind === 'registry' ? ref.ref : ref.name);

function withPath(config: ImageConfig): ImageConfig {
  // BuildKit makes sure PATH is always set, so `$PATH` expands and RUN finds its tools.
  return envMap(config.env).has('PATH') ? config : { ...config, env: [...config.env, `PATH=${DEFAULT_PATH}`] };
}

/** Absolute, normalised; relative paths resolve against the current one; no trailing slash. */
function resolveWorkdir(current: string | undefined, p: string): string {
  return path.posix.normalize(path.posix.join('/', p.startsWith('/') ? '' : (current ?? '/'), p)).replace(/(?<=.)\/+$/, '');
}

function resolveDest(workdir: string | undefined, dest: string): string {
  const into = dest.endsWith('/') || dest === '.' || dest === './';
  const abs = resolveWorkdir(workdir, dest);
  return into && abs !== '/' ? `${abs}/` : abs;
}

// A plain-form token cannot contain whitespace or start with '['; anything else is written as JSON,
// so the text is unambiguous and two different COPYs never share one.
const plainToken = (p: string): boolean => !/\s/.test(p) && !p.startsWith('[');

function parsePorts(ctx: Ctx, spec: string): string[] {
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?(?:\/([a-zA-Z]+))?$/.exec(spec);
  const proto = (m?.[3] ?? 'tcp').toLowerCase();
  const lo = Number(m?.[1]);
  const hi = m?.[2] === undefined ? lo : Number(m[2]);
  if (!m || !['tcp', 'udp', 'sctp'].includes(proto) || lo < 1 || hi > 65535 || hi < lo) {
    throw fail(ctx, `EXPOSE ${JSON.stringify(spec)} is not a port (write 8080, 53/udp or 8000-8010/tcp; ports 1-65535)`);
  }
  return Array.from({ length: hi - lo + 1 }, (_, i) => `${lo + i}/${proto}`);
}

const USER_SPEC = /^[^:\s]+(?::[^:\s]+)?$/;
const CHOWN_SPEC = USER_SPEC;

interface StagePlanner {
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

function copyFrom(p: StagePlanner, ctx: Ctx, raw: string, current: number): CopyFrom {
  if (expand(ctx, raw, () => undefined) !== raw) {
    throw fail(ctx, 'variable expansion is not supported in COPY --from (define a stage with FROM $ARG and copy from it)');
  }
  if (/^[0-9]+$/.test(raw)) {
    const index = Number(raw);
    if (index >= current) throw fail(ctx, `COPY --from=${raw}: stage ${index} is not before this one (stages are numbered from 0)`);
    return { kind: 'stage', index };
  }
  const named = p.names.get(raw.toLowerCase());
  if (named !== undefined) {
    if (named >= current) throw fail(ctx, `COPY --from=${raw}: stage "${raw.toLowerCase()}" must be defined before the stage that copies from it`);
    return { kind: 'stage', index: named };
  }
  return resolveImage(ctx, raw, p.opts).ref;
}

function planCopy(p: StagePlanner, ctx: Ctx, node: Extract<InstructionNode, { kind: 'COPY' }>, st: StageState, current: number, deps: Set<number>): BuildStep {
  const lookup = lookupIn(st.vars);
  const from: CopyFrom = node.from === undefined ? { kind: 'context' } : copyFrom(p, ctx, node.from, current);
  if (from.kind === 'stage') deps.add(from.index);
  const paths = node.paths.map((w) => expand(ctx, w, lookup));
  const sources = paths.slice(0, -1);
  const dest = paths.at(-1)!;
  if (dest === '') throw fail(ctx, 'COPY destination must not be empty');
  for (const s of sources) {
    if (s === '') throw fail(ctx, 'COPY source must not be empty');
    if (from.kind === 'context') checkSourceInContext('.', s, ctx.file.fileName, ctx.line);
  }
  let chown: string | undefined;
  if (node.chown !== undefined) {
    chown = expand(ctx, node.chown, lookup);
    if (!CHOWN_SPEC.test(chown)) throw fail(ctx, `COPY --chown=${JSON.stringify(chown)} is not user[:group] (names or ids)`);
  }
  const flags: string[] = [];
  if (from.kind === 'stage') flags.push(`--from=${from.index}`);
  else if (from.kind !== 'context') flags.push(`--from=${refText(from)}`);
  if (chown !== undefined) flags.push(`--chown=${chown}`);
  const body = paths.every(plainToken) ? paths.join(' ') : JSON.stringify(paths);
  const step: BuildStep = {
    kind: 'COPY',
    line: ctx.line,
    text: ['COPY', ...flags, body].join(' '),
    config: cloneConfig(st.config),
    from,
    sources: from.kind === 'context' ? sources : sources.map((s) => path.posix.join('/', s) + (s.endsWith('/') && s !== '/' ? '/' : '')),
    dest: resolveDest(st.config.workdir, dest),
  };
  if (chown !== undefined) step.chown = chown;
  return step;
}

/** Applies one metadata instruction to the stage state; returns the step's canonical text. */
function applyMeta(p: StagePlanner, ctx: Ctx, node: Exclude<InstructionNode, { kind: 'RUN' | 'COPY' }>, st: StageState, seen: Map<string, number>): string {
  const lookup = lookupIn(st.vars);
  const c = st.config;
  const withShell = (n: { argv?: string[]; shell?: string }): string[] => n.argv ?? [...c.shell, n.shell!];
  switch (node.kind) {
    case 'ARG': {
      const parts: string[] = [];
      for (const a of node.args) {
        // Docker's order: a build arg, else the default (expanded now), else a redeclared global's value.
        let value: string | undefined = p.buildArgs[a.key];
        if (value === undefined && a.value !== undefined) value = expand(ctx, a.value, lookupIn(st.vars));
        if (value === undefined && a.value === undefined) value = p.meta.get(a.key);
        if (value !== undefined) st.vars.set(a.key, value);
        parts.push(value === undefined ? a.key : `${a.key}=${value}`);
      }
      return `ARG ${JSON.stringify(parts)}`;
    }
    case 'ENV':
    case 'LABEL': {
      if (node.legacy) p.warnings.push(`${ctx.file.fileName}:${ctx.line}: "${node.kind} key value" is the legacy form; write ${node.kind} key=value`);
      // Every pair sees the variables as they were before the instruction, as in Docker.
      const pairs = node.pairs.map(({ key, value }) => ({ key: expand(ctx, key, lookup), value: expand(ctx, value, lookup) }));
      for (const { key, value } of pairs) {
        if (key === '') throw fail(ctx, `${node.kind} names must not be empty`);
        if (node.kind === 'ENV') {
          if (key.includes('=')) throw fail(ctx, `ENV name ${JSON.stringify(key)} must not contain "="`);
          c.env = setEnv(c.env, key, value);
          st.vars.set(key, value);
        } else {
          c.labels[key] = value;
        }
      }
      return `${node.kind} ${JSON.stringify(pairs.map(({ key, value }) => `${key}=${value}`))}`;
    }
    case 'WORKDIR': {
      const dir = expand(ctx, node.path, lookup);
      if (dir === '') throw fail(ctx, `WORKDIR ${JSON.stringify(node.path)} expands to an empty path`);
      c.workdir = resolveWorkdir(c.workdir, dir);
      return `WORKDIR ${c.workdir}`;
    }
    case 'USER': {
      const user = expand(ctx, node.user, lookup);
      if (!USER_SPEC.test(user)) throw fail(ctx, `USER ${JSON.stringify(user)} is not name|uid[:group|gid]`);
      c.user = user;
      return `USER ${user}`;
    }
    case 'CMD':
    case 'ENTRYPOINT': {
      const first = seen.get(node.kind);
      if (first !== undefined) p.warnings.push(`${ctx.file.fileName}:${ctx.line}: ${node.kind} replaces the one on line ${first}; only the last in a stage takes effect`);
      seen.set(node.kind, ctx.line);
      const argv = withShell(node);
      if (node.kind === 'CMD') {
        c.cmd = argv;
      } else {
        if (argv.length > 0) c.entrypoint = argv;
        else delete c.entrypoint;
        // A new ENTRYPOINT drops the CMD inherited from the base (it was written for the old one),
        // unless this stage set its own.
        if (!seen.has('CMD')) delete c.cmd;
      }
      return `${node.kind} ${JSON.stringify(argv)}`;
    }
    case 'SHELL':
      c.shell = [...node.argv];
      return `SHELL ${JSON.stringify(node.argv)}`;
    case 'EXPOSE': {
      const ports: string[] = [];
      for (const raw of node.ports) {
        let words: string[];
        try {
          words = expandWords(raw, lookup);
        } catch (e) {
          if (e instanceof SubstitutionError) throw fail(ctx, `EXPOSE: ${e.message}`);
          throw e;
        }
        for (const w of words) ports.push(...parsePorts(ctx, w));
      }
      for (const port of ports) if (!c.exposedPorts.includes(port)) c.exposedPorts.push(port);
      return `EXPOSE ${JSON.stringify(ports)}`;
    }
    case 'STOPSIGNAL': {
      const signal = expand(ctx, node.signal, lookup);
      try {
        parseStopSignal(signal);
      } catch {
        throw fail(ctx, `STOPSIGNAL ${JSON.stringify(signal)} is not a signal (use a name such as SIGTERM or SIGRTMIN+3, or a number 1-64)`);
      }
      c.stopSignal = signal;
      return `STOPSIGNAL ${signal}`;
    }
    case 'VOLUME': {
      const paths = node.paths.map((v) => expand(ctx, v, lookup).trim());
      if (paths.some((v) => v === '')) throw fail(ctx, 'VOLUME path must not be empty');
      for (const v of paths) if (!c.volumes.includes(v)) c.volumes.push(v);
      return `VOLUME ${JSON.stringify(paths)}`;
    }
  }
}

function startState(p: StagePlanner, ctx: Ctx, node: StageNode, index: number): { base: StageBase; text: string; st: StageState } {
  let image: string;
  try {
    image = expandWord(node.image, lookupIn(p.meta));
  } catch (e) {
    if (e instanceof SubstitutionError) throw fail(ctx, `FROM: ${e.message}`);
    throw e;
  }
  if (image === '') throw fail(ctx, `FROM ${node.image} expands to an empty image name (pass --build-arg or give the ARG a default)`);
  const as = node.name !== undefined ? ` AS ${node.name}` : '';
  const stageIndex = p.names.get(image.toLowerCase());
  if (stageIndex !== undefined && stageIndex < index) {
    // A stage based on an earlier one inherits its config and its ARGs (BuildKit's dispatchState.init).
    const parent = p.finals[stageIndex]!;
    return {
      base: { kind: 'stage', index: stageIndex },
      text: `FROM ${image.toLowerCase()}${as}`,
      st: { config: cloneConfig(parent.config), vars: new Map(parent.vars) },
    };
  }
  const { ref, config } = resolveImage(ctx, image, p.opts);
  const start = withPath(cloneConfig(config ?? defaultImageConfig()));
  return { base: ref, text: `FROM ${refText(ref)}${as}`, st: { config: start, vars: envMap(start.env) } };
}

function planStage(p: StagePlanner, node: StageNode, index: number): void {
  const ctx: Ctx = { file: p.file, line: node.line, keyword: 'FROM' };
  const { base, text, st } = startState(p, ctx, node, index);
  const deps = new Set<number>();
  if (base.kind === 'stage') deps.add(base.index);
  const steps: BuildStep[] = [];
  const seen = new Map<string, number>();
  for (const n of node.instructions) {
    const c: Ctx = { file: p.file, line: n.line, keyword: n.kind };
    if (n.kind === 'COPY') {
      steps.push(planCopy(p, c, n, st, index, deps));
    } else if (n.kind === 'RUN') {
      const vars = [...st.vars].map(([k, v]) => `${k}=${v}`);
      const proxyEnv = Object.entries(p.buildArgs)
        .filter(([k]) => PROXY_ARGS.has(k) && !st.vars.has(k))
        .map(([k, v]) => `${k}=${v}`);
      const step: BuildStep = {
        kind: 'RUN',
        line: n.line,
        text: n.argv ? `RUN ${JSON.stringify(n.argv)}` : `RUN ${n.shell}`,
        config: cloneConfig(st.config),
        argv: n.argv ?? [...st.config.shell, n.shell!],
        env: vars,
        proxyEnv,
        workdir: st.config.workdir ?? '/',
      };
      if (st.config.user !== undefined) step.user = st.config.user;
      steps.push(step);
    } else {
      const stepText = applyMeta(p, c, n, st, seen);
      steps.push({ kind: 'META', instruction: n.kind, line: n.line, text: stepText, config: cloneConfig(st.config) });
    }
  }
  const stage: BuildStage = { index, line: node.line, text, base, steps, config: cloneConfig(st.config), dependsOn: [...deps].sort((a, b) => a - b) };
  if (node.name !== undefined) stage.name = node.name;
  p.stages.push(stage);
  p.finals.push(st);
}

/**
 * Plans a build from a parsed Conductorfile: resolves every stage's base (a debootstrap base, a
 * local image via `lookupImage`, or an earlier stage), expands variables with Docker's scoping
 * (ARGs before the first FROM are seen only by FROM lines and by stages that redeclare them; a
 * stage's ARGs and ENVs are its own and pass to stages built FROM it; ENV and ARG share one
 * namespace, the later setting winning), and records the config after every step.
 * Throws PARSE_ERROR (or IMAGE_NOT_FOUND) with `file:line`.
 *
 * @example
 * const plan = planBuild(parseDockerfile('FROM debian:bookworm\nENV APP=/srv\nWORKDIR $APP\nCMD ["./run"]'));
 * plan.stages[0].config.workdir; // '/srv'
 * plan.stages[0].config.cmd;     // ['./run']
 */
export function planBuild(file: ParsedFile, opts: PlanOptions = {}): BuildPlan {
  const buildArgs = opts.buildArgs ?? {};
  const p: StagePlanner = { file, opts, buildArgs, meta: new Map(), stages: [], finals: [], names: new Map(), warnings: [] };
  file.stages.forEach((s, i) => {
    if (s.name !== undefined) p.names.set(s.name, i);
  });
  for (const node of file.metaArgs) {
    const ctx: Ctx = { file, line: node.line, keyword: 'ARG' };
    for (const a of node.args) {
      const value = buildArgs[a.key] ?? (a.value !== undefined ? expand(ctx, a.value, lookupIn(p.meta)) : undefined);
      if (value !== undefined) p.meta.set(a.key, value);
    }
  }
  file.stages.forEach((node, i) => planStage(p, node, i));
  const target = p.stages.length - 1;
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of p.stages[i]!.dependsOn) visit(d);
  };
  visit(target);
  return {
    stages: p.stages,
    target,
    order: [...needed].sort((a, b) => a - b),
    warnings: [...p.warnings, ...unusedBuildArgs(file, buildArgs)],
  };
}
