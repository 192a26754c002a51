/**
 * What `build --dry-run` prints, pure: the build plan (planBuild), and for each RUN and COPY
 * whether its layer is in the cache, found by the cache key the build would compute, or what it
 * would run. A step's key chains on the id of the layer below it: once one step misses, every
 * layer step above it in that stage (and every COPY --from it) misses too, as its parent is new.
 * The facts (which bases and images exist, the COPY content hashes, the layer index) are read by
 * build-dry-run.ts.
 */
import { displayCommand } from '../display.ts';
import { layerKey } from './layer-key.ts';
import { mountText, runKeyPart } from './cache-mounts.ts';
import type { BuildPlan, BuildStep, ImageRef } from './plan-steps.ts';

/** Where a stage starts, or what a COPY --from reads, as the build would find it. */
export interface StartFact {
  /** Its cache key; null when not known without fetching it first (a base to debootstrap, an image to pull). */
  key: string | null;
  /** Its top layer id (none: a bare base). */
  top?: string;
  /** What getting it takes: "in the cache", "debootstrap ...". */
  note: string;
}

export interface BuildDryFacts {
  /** By refId. */
  starts: ReadonlyMap<string, StartFact>;
  /** COPY from the context, by `<stage>:<line>`: the content part of its key and how many entries it copies. */
  copies: ReadonlyMap<string, { hash: string; entries: number }>;
  /** The layer id cached under a key, or null. */
  cachedLayer(key: string): string | null;
  noCache: boolean;
  network: 'nat' | 'host';
}

/** One name per base, image or registry reference, to key facts by. */
export function refId(ref: ImageRef): string {
  if (ref.kind === 'base') return `base:${ref.base.distro}:${ref.base.suite}`;
  return ref.kind === 'image' ? `image:${ref.name}` : `registry:${ref.ref}`;
}

/** A stage as the dry run follows it: its chain key and top layer (null: not known, a step above missed). */
interface Chain {
  key: string | null;
  top: string | undefined | null;
}

const sourceId = (c: Chain): string | null => (c.top === null ? null : `from:${c.top ?? c.key}`);
const chainOf = (s: StartFact): Chain => ({ key: s.key, top: s.key === null ? null : s.top });

function wouldRun(step: Exclude<BuildStep, { kind: 'META' }>, facts: BuildDryFacts, copied?: number): string[] {
  if (step.kind === 'RUN') {
    const env = step.env.length ? `, with ${step.env.join(' ')}` : '';
    const mounts = step.mounts.map(
      (m) =>
        `#   with the build cache "${m.id}" on ${m.target}${m.implicit ? ' (apt, implicit)' : ''}: ${mountText(m)}`,
    );
    return [
      `#   runs in a build container (network ${facts.network}) as ${step.user ?? 'root'} in ${step.workdir}${env}:`,
      ...mounts,
      displayCommand(step.argv),
    ];
  }
  const what =
    step.from.kind === 'context'
      ? `${copied ?? 0} entr${copied === 1 ? 'y' : 'ies'} of the context`
      : step.from.kind === 'stage'
        ? `${step.sources.join(' ')} from stage ${step.from.index}`
        : `${step.sources.join(' ')} from ${refId(step.from)}`;
  return [`#   copies ${what} into ${step.dest} in a build container`];
}

/**
 * The plan as lines: each stage the target needs, in build order, each step cached or not.
 * @example planBuildDry('web', plan, facts).join('\n')
 */
export function planBuildDry(name: string, plan: BuildPlan, facts: BuildDryFacts): string[] {
  const out: string[] = [`# build image "${name}": stages ${plan.order.join(', ')} (the target: ${plan.target})`];
  const done = new Map<number, Chain>();
  let misses = 0;
  for (const i of plan.order) {
    const stage = plan.stages[i]!;
    let chain: Chain;
    if (stage.base.kind === 'stage') {
      chain = { ...done.get(stage.base.index)! };
      out.push(`# stage ${i}: ${stage.text}   # on stage ${stage.base.index}`);
    } else {
      const start = facts.starts.get(refId(stage.base))!;
      chain = chainOf(start);
      out.push(`# stage ${i}: ${stage.text}   # ${start.note}`);
    }
    for (const step of stage.steps) {
      if (step.kind === 'META') {
        chain.key = chain.key === null ? null : layerKey(chain.key, step.text);
        out.push(`${step.text}   # metadata only`);
        continue;
      }
      let key: string | null = null;
      const copy = facts.copies.get(`${i}:${step.line}`);
      if (chain.key !== null) {
        if (step.kind === 'RUN') key = layerKey(chain.key, step.text, runKeyPart(step.mounts));
        else if (step.from.kind === 'context') key = layerKey(chain.key, step.text, copy!.hash);
        else {
          const from =
            step.from.kind === 'stage' ? done.get(step.from.index)! : chainOf(facts.starts.get(refId(step.from))!);
          const src = sourceId(from);
          key = src === null ? null : layerKey(chain.key, step.text, src);
        }
      }
      const id = key === null || facts.noCache ? null : facts.cachedLayer(key);
      if (id !== null) {
        out.push(`${step.text}   # cached: layer ${id.slice(0, 12)}`);
        chain = { key: id, top: id };
        continue;
      }
      misses++;
      out.push(`${step.text}   # ${facts.noCache ? 'not looked up (--no-cache)' : 'not cached'}`);
      out.push(...wouldRun(step, facts, copy?.entries));
      chain = { key: null, top: null };
    }
    done.set(i, chain);
  }
  out.push(
    misses === 0
      ? `# every layer cached: writes only the image record of "${name}"`
      : `# ${misses} new layer${misses === 1 ? '' : 's'} committed under the layer store, ` +
          `then the image record of "${name}"`,
  );
  return out;
}
