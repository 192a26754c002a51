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
import { cloneConfig, defaultImageConfig, envMap } from './image-config.ts';
import type { ParsedFile, StageNode } from './conductorfile-syntax.ts';
import { expandWord, SubstitutionError } from './substitution.ts';
import {
  PROXY_ARGS,
  unusedBuildArgs,
  type BuildPlan,
  type BuildStage,
  type BuildStep,
  type PlanOptions,
  type StageBase,
} from './plan-steps.ts';
import {
  expand,
  fail,
  lookupIn,
  refText,
  resolveImage,
  withPath,
  type Ctx,
  type StagePlanner,
  type StageState,
} from './stage-resolve.ts';
import { applyMeta, planCopy } from './instruction-plan.ts';
import { mountText, parseCacheMount, runMounts } from './cache-mounts.ts';
import type { BaseRef } from '../types.ts';

function startState(
  p: StagePlanner,
  ctx: Ctx,
  node: StageNode,
  index: number,
): { base: StageBase; text: string; st: StageState; bottom: BaseRef | null } {
  let image: string;
  try {
    image = expandWord(node.image, lookupIn(p.meta));
  } catch (e) {
    if (e instanceof SubstitutionError) throw fail(ctx, `FROM: ${e.message}`);
    throw e;
  }
  if (image === '')
    throw fail(ctx, `FROM ${node.image} expands to an empty image name (pass --build-arg or give the ARG a default)`);
  const as = node.name !== undefined ? ` AS ${node.name}` : '';
  const stageIndex = p.names.get(image.toLowerCase());
  if (stageIndex !== undefined && stageIndex < index) {
    // A stage based on an earlier one inherits its config and its ARGs (BuildKit's dispatchState.init).
    const parent = p.finals[stageIndex]!;
    return {
      base: { kind: 'stage', index: stageIndex },
      text: `FROM ${image.toLowerCase()}${as}`,
      st: { config: cloneConfig(parent.config), vars: new Map(parent.vars) },
      bottom: p.stages[stageIndex]!.bottom,
    };
  }
  const { ref, config } = resolveImage(ctx, image, p.opts);
  const start = withPath(cloneConfig(config ?? defaultImageConfig()));
  const bottom =
    ref.kind === 'base' ? ref.base : ref.kind === 'image' ? (p.opts.lookupImage?.(ref.name)?.base ?? null) : null;
  return {
    base: ref,
    text: `FROM ${refText(ref)}${as}`,
    st: { config: start, vars: envMap(start.env) },
    bottom: bottom?.distro === 'scratch' ? null : bottom,
  };
}

function planStage(p: StagePlanner, node: StageNode, index: number): void {
  const ctx: Ctx = { file: p.file, line: node.line, keyword: 'FROM' };
  const { base, text, st, bottom } = startState(p, ctx, node, index);
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
      const workdir = st.config.workdir ?? '/';
      const written = (n.mounts ?? []).map((w) =>
        parseCacheMount(expand(c, w, lookupIn(st.vars)), workdir, (m) => fail(c, m)),
      );
      const flags = written.map((m) => `--mount=${mountText(m)} `).join('');
      const argv = n.argv ?? [...st.config.shell, n.shell!];
      const step: BuildStep = {
        kind: 'RUN',
        line: n.line,
        text: n.argv ? `RUN ${flags}${JSON.stringify(n.argv)}` : `RUN ${flags}${n.shell}`,
        config: cloneConfig(st.config),
        argv,
        env: vars,
        proxyEnv,
        workdir,
        mounts: runMounts(written, argv, bottom),
      };
      if (st.config.user !== undefined) step.user = st.config.user;
      steps.push(step);
    } else {
      const stepText = applyMeta(p, c, n, st, seen);
      steps.push({ kind: 'META', instruction: n.kind, line: n.line, text: stepText, config: cloneConfig(st.config) });
    }
  }
  const stage: BuildStage = {
    index,
    line: node.line,
    text,
    base,
    steps,
    config: cloneConfig(st.config),
    dependsOn: [...deps].sort((a, b) => a - b),
    bottom,
  };
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
  const p: StagePlanner = {
    file,
    opts,
    buildArgs,
    meta: new Map(),
    stages: [],
    finals: [],
    names: new Map(),
    warnings: [],
  };
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
