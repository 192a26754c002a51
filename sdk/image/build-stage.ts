/**
 * One stage of a build: its start (a debootstrap base, a local image's layers, or an earlier
 * stage's result), then each planned step. RUN and COPY make a cached layer; metadata-only steps
 * (ENV, CMD, WORKDIR...) make none but extend the cache-key chain, so a later RUN whose
 * environment they changed is a new key, and a CMD after the last RUN costs no container at all.
 */
import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { BuildError, ConductorError } from '../errors.ts';
import { readImage } from '../state/images.ts';
import { baseId, ensureBase } from './base.ts';
import { SCRATCH_BASE } from './base-plan.ts';
import { registryBase } from './oci/registry-base.ts';
import { ensureScratch } from './oci/scratch.ts';
import type { BuildStage, BuildStep, ImageRef } from './plan-steps.ts';
import { buildSpec, copyFromStep, copyStep, runStep, type Stack, type StepContext } from './build-steps.ts';
import { stageCopy } from './copy-stage.ts';
import { commitLayer, discardLayer, hashTree, layerDir, readLayer, resolveLayer, startLayer } from './layers.ts';
import { layerKey } from './layer-key.ts';
import { runKeyPart } from './cache-mounts.ts';
import type { BaseRef, ImageConfig, ImageHistoryEntry } from '../types.ts';

export interface StageResult {
  base: BaseRef;
  stack: Stack;
  /** The last key of the chain: the parent of whatever is built on this stage. */
  key: string;
  history: ImageHistoryEntry[];
  config: ImageConfig;
  /** The local image at the bottom, if the stage (or one it is built on) started FROM one. */
  parent?: string;
}

/** Step numbering and the closing summary across every stage of the build. */
export interface Progress {
  n: number;
  total: number;
  cached: number;
  layerSteps: number;
}

/** The base's identity includes when it was made, so a re-fetched base invalidates every layer above. */
export function baseKey(paths: Paths, base: BaseRef): string {
  const made = readFileSync(path.join(paths.base, baseId(base), 'complete'), 'utf8').trim();
  return `base:${baseId(base)}:${made}`;
}

/** A debootstrap base, a local image or a registry image, as something to build on or copy from. */
export async function resolveRef(
  ctx: StepContext,
  ref: ImageRef,
  where: string,
): Promise<Omit<StageResult, 'config'> & { config?: ImageConfig }> {
  if (ref.kind === 'registry') {
    // Pulled once (skopeo, then the checked import) into layers over the empty scratch base.
    const r = await registryBase(ctx.paths, ref.ref, { pull: ctx.pull, tlsVerify: ctx.tlsVerify, log: ctx.log });
    const key = layerKey(`registry:${r.layers.at(-1) ?? 'scratch'}`, JSON.stringify(r.config));
    const history = r.layers.map((id) => ({
      instruction: readLayer(ctx.paths, id)?.instruction ?? `FROM ${r.ref}`,
      layer: id,
    }));
    return {
      base: SCRATCH_BASE,
      stack: { baseRootfs: ensureScratch(ctx.paths), layers: [...r.layers] },
      key,
      history,
      config: r.config,
    };
  }
  if (ref.kind === 'base') {
    const baseRootfs = await ensureBase(ctx.paths, ref.base, ctx.log);
    return { base: ref.base, stack: { baseRootfs, layers: [] }, key: baseKey(ctx.paths, ref.base), history: [] };
  }
  const img = readImage(ctx.paths, ref.name);
  if (!img) throw new ConductorError('IMAGE_NOT_FOUND', `${where}: image "${ref.name}" not found (build it first)`);
  const missing = img.layers.find((id) => !existsSync(layerDir(ctx.paths, id)));
  if (missing)
    throw new ConductorError(
      'IMAGE_NOT_FOUND',
      `${where}: layer ${missing.slice(0, 12)} of image "${ref.name}" is missing ` +
        `(rebuild it: conductor build ${ref.name})`,
    );
  const baseRootfs = await ensureBase(ctx.paths, img.base, ctx.log);
  // Its layers' ids name its files exactly; its config (ENV, USER...) shapes every RUN above.
  const key = layerKey(
    `image:${img.layers.at(-1) ?? baseKey(ctx.paths, img.base)}`,
    JSON.stringify(img.config ?? null),
  );
  const history =
    img.history ?? img.layers.map((id) => ({ instruction: readLayer(ctx.paths, id)?.instruction ?? '', layer: id }));
  return {
    base: img.base,
    stack: { baseRootfs, layers: [...img.layers] },
    key,
    history: [...history],
    config: img.config,
    parent: ref.name,
  };
}

const seconds = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

export async function buildStage(
  ctx: StepContext,
  stage: BuildStage,
  done: ReadonlyMap<number, StageResult>,
  progress: Progress,
): Promise<StageResult> {
  const t0 = performance.now();
  ctx.log.step(`Step ${++progress.n}/${progress.total} : ${stage.text}`);
  const start =
    stage.base.kind === 'stage'
      ? done.get(stage.base.index)!
      : await resolveRef(ctx, stage.base, `${ctx.file}:${stage.line}`);
  ctx.log.info(` ---> ${seconds(t0)}`);
  const layers = [...start.stack.layers];
  const history = [...start.history];
  let key = start.key;
  for (const step of stage.steps) {
    const s0 = performance.now();
    ctx.log.step(`Step ${++progress.n}/${progress.total} : ${step.text}`);
    if (step.kind === 'META') {
      key = layerKey(key, step.text);
      history.push({ instruction: step.text });
      ctx.log.info(` ---> metadata only (${seconds(s0)})`);
      continue;
    }
    progress.layerSteps++;
    const stack = { baseRootfs: start.stack.baseRootfs, layers };
    const { id, cached } = await applyLayerStep(ctx, step, key, stack, done);
    if (cached) progress.cached++;
    ctx.log.info(cached ? ` ---> Using cache (${seconds(s0)})` : ` ---> ${id.slice(0, 12)} (${seconds(s0)})`);
    layers.push(id);
    history.push({ instruction: step.text, layer: id });
    key = id;
  }
  const result: StageResult = {
    base: start.base,
    stack: { baseRootfs: start.stack.baseRootfs, layers },
    key,
    history,
    config: stage.config,
  };
  if (start.parent !== undefined) result.parent = start.parent;
  return result;
}

/** The stack a COPY --from reads, and the key part that names its content. */
async function copySource(
  ctx: StepContext,
  step: Extract<BuildStep, { kind: 'COPY' }>,
  done: ReadonlyMap<number, StageResult>,
): Promise<{ stack: Stack; id: string }> {
  const from = step.from;
  if (from.kind === 'context') throw new Error('unreachable');
  const src = from.kind === 'stage' ? done.get(from.index)! : await resolveRef(ctx, from, `${ctx.file}:${step.line}`);
  // Layer ids are unique per commit and never change: the same ids are the same files.
  return { stack: src.stack, id: `from:${src.stack.layers.at(-1) ?? src.key}` };
}

async function applyLayerStep(
  ctx: StepContext,
  step: Exclude<BuildStep, { kind: 'META' }>,
  parent: string,
  below: Stack,
  done: ReadonlyMap<number, StageResult>,
): Promise<{ id: string; cached: boolean }> {
  let staged: Awaited<ReturnType<typeof stageCopy>> | undefined;
  let source: { stack: Stack; id: string } | undefined;
  let key: string;
  if (step.kind === 'COPY' && step.from.kind === 'context') {
    staged = await stageCopy(
      ctx.context,
      step.sources,
      step.dest,
      { file: ctx.file, line: step.line },
      path.join(ctx.work, `copy-${step.line}`),
    );
    key = layerKey(parent, step.text, `${staged.mode}\n${hashTree(staged.dir)}`);
  } else if (step.kind === 'COPY') {
    source = await copySource(ctx, step, done);
    key = layerKey(parent, step.text, source.id);
  } else {
    key = layerKey(parent, step.text, runKeyPart(step.mounts));
  }
  const cached = ctx.noCache ? null : resolveLayer(ctx.paths, key);
  if (cached) return { id: cached, cached: true };
  const layer = startLayer(ctx.paths, key);
  try {
    const spec = buildSpec(ctx, below, layer);
    let exitCode: number;
    if (step.kind === 'RUN') exitCode = await runStep(ctx, spec, step);
    else if (staged) exitCode = await copyStep(ctx, spec, staged, step.dest, step.chown);
    else {
      const scratch = startLayer(ctx.paths, layerKey('copy-from-source', key));
      try {
        exitCode = await copyFromStep(ctx, spec, buildSpec(ctx, source!.stack, scratch), step);
      } finally {
        discardLayer(scratch);
      }
    }
    if (ctx.signal?.aborted) throw new BuildError('build interrupted', 130);
    if (exitCode !== 0) {
      throw new BuildError(`${ctx.file}:${step.line}: "${step.text}" failed with exit code ${exitCode}`, exitCode);
    }
    const { id } = commitLayer(ctx.paths, layer, {
      key,
      parent,
      instruction: step.text,
      createdAt: new Date().toISOString(),
    });
    return { id, cached: false };
  } catch (e) {
    discardLayer(layer);
    throw e;
  }
}
