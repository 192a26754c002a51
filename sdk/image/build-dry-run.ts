/**
 * `build --dry-run`: the facts the build's cache lookups would use, read without making anything
 * (no base fetched, no image pulled, no layer started, no build network, no lock), then planned by
 * build-dry-plan.ts. COPY sources are checked and hashed as the build does: staged in a private
 * temp directory outside the state root, removed at once.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { readImage } from '../state/images.ts';
import { baseId, isBaseComplete } from './base.ts';
import { planBuildDry, refId, type BuildDryFacts, type StartFact } from './build-dry-plan.ts';
import { baseKey } from './build-stage.ts';
import { stageCopy } from './copy-stage.ts';
import { layerKey } from './layer-key.ts';
import { hashTree, layerDir, resolveLayer } from './layers.ts';
import { storedRegistryImage } from './oci/registry-base.ts';
import type { BuildPlan, ImageRef } from './plan-steps.ts';
import type { BaseRef } from '../types.ts';

export interface BuildDryContext {
  paths: Paths;
  context: string;
  /** The Conductorfile as shown in messages. */
  file: string;
  noCache: boolean;
  network: 'nat' | 'host';
  pull: boolean;
}

function baseFact(paths: Paths, base: BaseRef): StartFact {
  return isBaseComplete(paths, base)
    ? { key: baseKey(paths, base), note: `base ${base.distro}:${base.suite}, in the cache` }
    : {
        key: null,
        note: `base ${base.distro}:${base.suite}: not in the cache, debootstrap fetches it (${baseId(base)})`,
      };
}

/** As resolveRef finds it, with the same errors, fetching nothing. */
function startFact(ctx: BuildDryContext, ref: ImageRef, where: string): StartFact {
  const paths = ctx.paths;
  if (ref.kind === 'base') return baseFact(paths, ref.base);
  if (ref.kind === 'registry') {
    const r = ctx.pull ? null : storedRegistryImage(paths, ref.ref);
    if (!r) return { key: null, note: `registry image ${ref.ref}: pulled first (skopeo) into the layer store` };
    const key = layerKey(`registry:${r.layers.at(-1) ?? 'scratch'}`, JSON.stringify(r.config));
    return { key, top: r.layers.at(-1), note: `registry image ${ref.ref}, pulled before` };
  }
  const img = readImage(paths, ref.name);
  if (!img) throw new ConductorError('IMAGE_NOT_FOUND', `${where}: image "${ref.name}" not found (build it first)`);
  const missing = img.layers.find((id) => !existsSync(layerDir(paths, id)));
  if (missing)
    throw new ConductorError(
      'IMAGE_NOT_FOUND',
      `${where}: layer ${missing.slice(0, 12)} of image "${ref.name}" is missing ` +
        `(rebuild it: conductor build ${ref.name})`,
    );
  const base = baseFact(paths, img.base);
  const below = img.layers.at(-1) ?? base.key;
  const key = below === null ? null : layerKey(`image:${below}`, JSON.stringify(img.config ?? null));
  const layers = `${img.layers.length} layer${img.layers.length === 1 ? '' : 's'}`;
  const note = `image "${ref.name}" (${layers})${base.key === null ? `; ${base.note}` : ''}`;
  return { key, top: img.layers.at(-1), note };
}

/** COPY from the context: checked and hashed as the build stages it, in a temp dir removed at once. */
async function copyFacts(ctx: BuildDryContext, plan: BuildPlan): Promise<BuildDryFacts['copies']> {
  const copies = new Map<string, { hash: string; entries: number }>();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'conductor-dry-'));
  try {
    for (const i of plan.order) {
      for (const step of plan.stages[i]!.steps) {
        if (step.kind !== 'COPY' || step.from.kind !== 'context') continue;
        const dir = path.join(tmp, `copy-${i}-${step.line}`);
        const staged = await stageCopy(ctx.context, step.sources, step.dest, { file: ctx.file, line: step.line }, dir);
        copies.set(`${i}:${step.line}`, {
          hash: `${staged.mode}\n${hashTree(staged.dir)}`,
          entries: staged.entries.length,
        });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return copies;
}

/**
 * Every stage the target needs, each step cached or what it would run; nothing is made.
 * @example
 * const lines = await dryRunBuild('web', plan, { paths, context, file, noCache: false, network: 'nat', pull: false });
 */
export async function dryRunBuild(name: string, plan: BuildPlan, ctx: BuildDryContext): Promise<string[]> {
  const starts = new Map<string, StartFact>();
  const need = (ref: ImageRef, line: number) => {
    if (!starts.has(refId(ref))) starts.set(refId(ref), startFact(ctx, ref, `${ctx.file}:${line}`));
  };
  for (const i of plan.order) {
    const stage = plan.stages[i]!;
    if (stage.base.kind !== 'stage') need(stage.base, stage.line);
    for (const step of stage.steps)
      if (step.kind === 'COPY' && step.from.kind !== 'context' && step.from.kind !== 'stage')
        need(step.from, step.line);
  }
  const facts: BuildDryFacts = {
    starts,
    copies: await copyFacts(ctx, plan),
    cachedLayer: (key) => resolveLayer(ctx.paths, key),
    noCache: ctx.noCache,
    network: ctx.network,
  };
  return planBuildDry(name, plan, facts);
}
