/**
 * buildImage: Conductorfile → plan (stages, steps, config) → layers → image record.
 * parse → planBuild → for each needed stage: buildStage (build-stage.ts) → writeImageRecord.
 * The record is written last, in one rename: a failed or interrupted build leaves no image (the
 * layers it finished stay as cache, as in Docker).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { removeDeadOwners } from '../state/files.ts';
import { requireInitHelper, requireRoot } from '../host/preflight.ts';
import { releaseStaleBuildNetworks } from './build-network.ts';
import { dryRunBuild } from './build-dry-run.ts';
import { planBuild } from './build-plan.ts';
import { buildStage, type Progress, type StageResult } from './build-stage.ts';
import type { StepContext } from './build-steps.ts';
import { selectTarget } from './build-target.ts';
import { parseDockerfile } from './conductorfile-syntax.ts';
import { readLayer, removeStaleLayerTemps } from './layers.ts';
import { createLogger, type Logger } from '../log.ts';
import { validateName } from '../names.ts';
import { readImage, writeImage } from '../state/images.ts';
import type { ImageInfo } from '../types.ts';

export interface BuildOptions extends CommonOptions {
  /** Conductorfile path (default ./Conductorfile, relative to the current directory). */
  file?: string;
  /** Build context (default: the current directory, as `docker build .`). */
  context?: string;
  noCache?: boolean;
  /** Abort the build: the running step is killed and nothing is kept. */
  signal?: AbortSignal;
  /**
   * 'nat' (default): each RUN step in its own network namespace with NAT to the internet and the
   * host's services closed. 'host': the host's network, interfaces and loopback (explicit opt-out).
   */
  network?: 'nat' | 'host';
  /** `--build-arg NAME=value`: values for ARGs; one no ARG declares is a warning, as in Docker. */
  buildArgs?: Record<string, string>;
  /** `--target NAME`: build up to that stage (`FROM ... AS NAME`) and make it the image. */
  target?: string;
  /** FROM a registry image: pull it again even if it was pulled before (podman's --pull). */
  pull?: boolean;
  /** FROM a registry image: false for plain HTTP or an unverified certificate. */
  tlsVerify?: boolean;
}

/** `dryRun`: the build checked as far as it goes without running a step, and its plan. */
export interface BuildDryRunResult {
  /** Each stage and step, cached or what it would run, as lines; nothing was made. */
  plan: string[];
}

/**
 * Build an image from a Conductorfile. RUN and COPY steps are cached layers; the other
 * instructions shape the image's config (and the cache keys of the steps after them).
 * @example
 * const opts = { file: 'conductorfiles/web.Conductorfile', context: '.', buildArgs: { VERSION: '2' } };
 * const img = await buildImage('web', opts);
 * console.log(img.layers.length, img.config?.cmd);
 * const { plan } = await buildImage('web', { file: 'web.Conductorfile', dryRun: true }); // builds nothing
 */
export async function buildImage(name: string, opts: BuildOptions & { dryRun: true }): Promise<BuildDryRunResult>;
export async function buildImage(name: string, opts?: BuildOptions & { dryRun?: false }): Promise<ImageInfo>;
export async function buildImage(
  name: string,
  opts: BuildOptions & { dryRun?: boolean } = {},
): Promise<ImageInfo | BuildDryRunResult> {
  validateName('image', name);
  requireRoot();
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? createLogger();
  const file = path.resolve(opts.file ?? 'Conductorfile');
  const context = path.resolve(opts.context ?? '.');
  const shownFile = path.relative(process.cwd(), file) || file;
  if (!existsSync(file)) {
    throw new ConductorError('INVALID_ARGUMENT', `Conductorfile "${shownFile}" not found`, {
      hint: 'pass its path: conductor build NAME FILE',
    });
  }
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    throw new ConductorError('INVALID_ARGUMENT', `build context "${context}" is not a directory`);
  }
  const network = opts.network ?? 'nat';
  if (network !== 'nat' && network !== 'host') {
    throw new ConductorError('INVALID_ARGUMENT', `invalid build network ${JSON.stringify(network)}`, {
      hint: "use 'nat' (default) or 'host'",
    });
  }
  const source = readFileSync(file, 'utf8');
  const plan = planBuild(parseDockerfile(source, shownFile), {
    buildArgs: opts.buildArgs,
    lookupImage: (n) => readImage(paths, n) ?? undefined,
  });
  const { target, order } = selectTarget(plan, opts.target, shownFile);
  requireInitHelper();
  for (const w of plan.warnings) log.warn(w);
  if (opts.dryRun) {
    const ctx = { paths, context, file: shownFile, noCache: Boolean(opts.noCache), network, pull: Boolean(opts.pull) };
    return { plan: await dryRunBuild(name, { ...plan, target, order }, ctx) };
  }
  removeStaleLayerTemps(paths);
  await releaseStaleBuildNetworks(paths, log);
  removeStaleBuildDirs(paths);
  const work = path.join(paths.tmp, `build-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  const t0 = performance.now();
  try {
    const ctx: StepContext = {
      paths,
      log,
      work,
      context,
      file: shownFile,
      noCache: Boolean(opts.noCache),
      signal: opts.signal,
      network,
      pull: opts.pull,
      tlsVerify: opts.tlsVerify,
    };
    const progress: Progress = {
      n: 0,
      total: order.reduce((n, i) => n + 1 + plan.stages[i]!.steps.length, 0),
      cached: 0,
      layerSteps: 0,
    };
    const done = new Map<number, StageResult>();
    for (const i of order) done.set(i, await buildStage(ctx, plan.stages[i]!, done, progress));
    const img = writeImageRecord(paths, name, done.get(target)!, source, log);
    const secs = ((performance.now() - t0) / 1000).toFixed(2);
    log.info(
      `Built "${name}" in ${secs} s: ${progress.cached} of ${progress.layerSteps} RUN/COPY steps from cache, ` +
        `${progress.n - progress.layerSteps} FROM/metadata steps`,
    );
    return img;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Work dirs of builds whose process is gone (killed): their staged COPY sources are dead weight. */
function removeStaleBuildDirs(paths: Paths): void {
  removeDeadOwners(paths.tmp, /^build-(\d+)-\d+$/);
}

/** The image's identity: what a container of it is made of and how it starts. */
export function imageId(img: Pick<ImageInfo, 'base' | 'layers' | 'config'>): string {
  return `sha256:${createHash('sha256')
    .update(JSON.stringify({ base: img.base, layers: img.layers, config: img.config ?? null }))
    .digest('hex')}`;
}

function writeImageRecord(paths: Paths, name: string, stage: StageResult, source: string, log: Logger): ImageInfo {
  const layers = stage.stack.layers;
  const size = layers.reduce((n, k) => n + (readLayer(paths, k)?.size ?? 0), 0);
  const prev = readImage(paths, name);
  const img: ImageInfo = {
    name,
    base: stage.base,
    layers,
    createdAt: new Date().toISOString(),
    size,
    source,
    config: stage.config,
  };
  img.id = imageId(img);
  if (stage.parent !== undefined) img.parent = stage.parent;
  img.history = stage.history;
  if (prev && prev.id === img.id) img.createdAt = prev.createdAt;
  writeImage(paths, img);
  log.info(`Successfully built image "${name}" (${img.id.slice(7, 19)})`);
  return img;
}
