/**
 * buildImage: Conductorfile → layers → image record.
 * resolveBase → for each step: key → cache hit, or run it in a build container → writeImage.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ensureBase } from './base.ts';
import { INIT_HELPER, MONITOR, resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { parseConductorfile, type Instruction } from './conductorfile.ts';
import { stageCopy } from './copy-stage.ts';
import { BuildError, ConductorError } from '../errors.ts';
import { removeDeadOwners } from '../state/files.ts';
import { requireInitHelper, requireRoot } from '../host/preflight.ts';
import { containerEnv, type LaunchSpec } from '../launch/launch-plan.ts';
import { launchAttached, type BeforeStart } from '../launch/launcher.ts';
import { openBuildNetwork, releaseStaleBuildNetworks, type BuildNetwork } from './build-network.ts';
import { commitLayer, discardLayer, hashTree, layerKey, lowerdirs, readLayer, removeStaleLayerTemps, resolveLayer, startLayer, type PendingLayer } from './layers.ts';
import { createLogger, type Logger } from '../log.ts';
import { validateName } from '../names.ts';
import { hostResolvConf } from '../host/resolv.ts';
import { readImage, writeImage } from '../state/images.ts';
import { baseId } from './base.ts';
import { openFilter, seccompFilter } from '../security/seccomp/filter.ts';
import type { BaseRef, ImageConfig, ImageInfo } from '../types.ts';
import { registryBase } from './oci/registry-base.ts';
import { ensureScratch } from './oci/scratch.ts';

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
  /** FROM a registry image: pull it again even if it was pulled before (podman's --pull). */
  pull?: boolean;
  /** FROM a registry image: false for plain HTTP or an unverified certificate. */
  tlsVerify?: boolean;
}

/**
 * Build an image from a Conductorfile. Each instruction is a cached layer.
 * @example
 * const img = await buildImage('web', { file: 'conductorfiles/web.Conductorfile', context: '.' });
 * console.log(img.layers.length);
 */
export async function buildImage(name: string, opts: BuildOptions = {}): Promise<ImageInfo> {
  validateName('image', name);
  requireRoot();
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? createLogger();
  const file = path.resolve(opts.file ?? 'Conductorfile');
  const context = path.resolve(opts.context ?? '.');
  const shownFile = path.relative(process.cwd(), file) || file;
  if (!existsSync(file)) {
    throw new ConductorError('INVALID_ARGUMENT', `Conductorfile "${shownFile}" not found`, { hint: 'pass its path: conductor build NAME FILE' });
  }
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    throw new ConductorError('INVALID_ARGUMENT', `build context "${context}" is not a directory`);
  }
  const source = readFileSync(file, 'utf8');
  const steps = parseConductorfile(source, shownFile);
  requireInitHelper();
  const network = opts.network ?? 'nat';
  if (network !== 'nat' && network !== 'host') {
    throw new ConductorError('INVALID_ARGUMENT', `invalid build network ${JSON.stringify(network)}`, { hint: "use 'nat' (default) or 'host'" });
  }
  const from = steps[0] as Extract<Instruction, { kind: 'FROM' }>;
  const total = steps.length;
  log.step(`Step 1/${total} : ${from.text}`);
  const fromRegistry = from.registry ? await registryBase(paths, from.registry, { pull: opts.pull, tlsVerify: opts.tlsVerify, log }) : undefined;
  const baseRootfs = fromRegistry ? ensureScratch(paths) : await ensureBase(paths, from.base, log);
  removeStaleLayerTemps(paths);
  await releaseStaleBuildNetworks(paths, log);
  removeStaleBuildDirs(paths);
  const work = path.join(paths.tmp, `build-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    const ctx: StepContext = { paths, log, baseRootfs, work, context, file: shownFile, noCache: Boolean(opts.noCache), signal: opts.signal, network };
    // A registry image's layers are the bottom of this one; the first step chains on its top layer.
    const layers: string[] = [...(fromRegistry?.layers ?? [])];
    let parent = layers.length ? layers[layers.length - 1]! : baseKey(paths, from.base);
    for (let i = 1; i < steps.length; i++) {
      const step = steps[i]!;
      log.step(`Step ${i + 1}/${total} : ${step.text}`);
      parent = await applyInstruction(ctx, step as Exclude<Instruction, { kind: 'FROM' }>, parent, layers);
      layers.push(parent);
    }
    return writeImageRecord(paths, name, from.base, layers, source, log, fromRegistry?.config);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Work dirs of builds whose process is gone (killed): their staged COPY sources are dead weight. */
function removeStaleBuildDirs(paths: Paths): void {
  removeDeadOwners(paths.tmp, /^build-(\d+)-\d+$/);
}

interface StepContext {
  paths: Paths;
  log: Logger;
  baseRootfs: string;
  work: string;
  context: string;
  file: string;
  noCache: boolean;
  signal?: AbortSignal;
  /** The RUN/COPY containers' seccomp filter (the default profile, compiled once per build). */
  seccomp?: Promise<string | null>;
  network: 'nat' | 'host';
}

/** The base's identity includes when it was made, so a re-fetched base invalidates every layer above. */
function baseKey(paths: Paths, base: BaseRef): string {
  const made = readFileSync(path.join(paths.base, baseId(base), 'complete'), 'utf8').trim();
  return `base:${baseId(base)}:${made}`;
}

async function applyInstruction(
  ctx: StepContext,
  step: Exclude<Instruction, { kind: 'FROM' }>,
  parent: string,
  below: string[],
): Promise<string> {
  let staged: Awaited<ReturnType<typeof stageCopy>> | undefined;
  let key: string;
  if (step.kind === 'COPY') {
    staged = await stageCopy(ctx.context, step.sources, step.dest, { file: ctx.file, line: step.line }, path.join(ctx.work, `copy-${step.line}`));
    key = layerKey(parent, step.text, `${staged.mode}\n${hashTree(staged.dir)}`);
  } else {
    key = layerKey(parent, step.text);
  }
  const cached = ctx.noCache ? null : resolveLayer(ctx.paths, key);
  if (cached) {
    ctx.log.info(' ---> Using cache');
    return cached;
  }
  const layer = startLayer(ctx.paths, key);
  try {
    const spec = await buildSpec(ctx, layer, below);
    const exitCode = step.kind === 'RUN' ? await runStep(ctx, spec, step) : await copyStep(ctx, spec, staged!, step.dest);
    if (ctx.signal?.aborted) throw new BuildError('build interrupted', 130);
    if (exitCode !== 0) {
      throw new BuildError(`${ctx.file}:${step.line}: "${step.text}" failed with exit code ${exitCode}`, exitCode);
    }
    const { id } = commitLayer(ctx.paths, layer, { key, parent, instruction: step.text, createdAt: new Date().toISOString() });
    ctx.log.info(` ---> ${id.slice(0, 12)}`);
    return id;
  } catch (e) {
    discardLayer(layer);
    throw e;
  }
}

async function buildSpec(ctx: StepContext, layer: PendingLayer, below: string[]): Promise<LaunchSpec> {
  const files = path.join(ctx.work, 'etc');
  if (!existsSync(files)) {
    mkdirSync(files, { recursive: true });
    writeFileSync(path.join(files, 'resolv.conf'), hostResolvConf() ?? '');
  }
  return {
    lowerdirs: lowerdirs(ctx.paths, ctx.baseRootfs, below),
    upper: layer.diff,
    work: layer.work,
    rootfs: layer.merged,
    // Only resolv.conf is lent to RUN steps (apt needs it); nothing of it stays in the layer.
    hosts: '',
    hostnameFile: '',
    resolv: path.join(files, 'resolv.conf'),
    hostname: 'conductor-build',
    // RUN steps are wired in runStep (or opt into the host's network); COPY needs none.
    network: 'none',
    env: containerEnv('conductor-build', ['DEBIAN_FRONTEND=noninteractive'], false),
    workdir: '/',
    command: [],
    initHelper: INIT_HELPER,
    monitor: MONITOR,
    security: { privileged: false, capAdd: [], capDrop: [] },
    cgroupFds: [],
    readyFd: 3,
    cgroupNamespace: existsSync('/proc/self/ns/cgroup'),
    waitForGo: false,
  };
}

/** Build steps run untrusted Conductorfile commands as root: the same syscall filter as `run`. */
function buildFilter(ctx: StepContext, spec: LaunchSpec): Promise<string | null> {
  return (ctx.seccomp ??= seccompFilter(ctx.paths, spec.security));
}

// No await between spawning COPY's tar and piping it in: node drains (discards) the output of a
// child that exits while nobody reads it. Hence the filter is resolved by the caller beforehand.
async function runInBuild(ctx: StepContext, spec: LaunchSpec, stdin: 'ignore' | Readable, filter: string | null, beforeStart?: BeforeStart): Promise<number> {
  const extraFds = filter ? [openFilter(filter)] : [];
  const started = await launchAttached({ ...spec, seccompFd: filter ? 4 : undefined }, { stdin, onOutput: (c) => ctx.log.raw(c), extraFds, beforeStart });
  const kill = () => started.child.kill('SIGKILL');
  ctx.signal?.addEventListener('abort', kill, { once: true });
  try {
    return (await started.exit).exitCode;
  } finally {
    ctx.signal?.removeEventListener('abort', kill);
  }
}

async function runStep(ctx: StepContext, spec: LaunchSpec, step: Extract<Instruction, { kind: 'RUN' }>): Promise<number> {
  const command = step.argv ?? ['/bin/sh', '-c', step.shell!];
  const filter = await buildFilter(ctx, spec);
  if (ctx.network === 'host') return runInBuild(ctx, { ...spec, command, network: 'host' }, 'ignore', filter);
  let net: BuildNetwork | undefined;
  const wire: BeforeStart = async (init) => {
    net = await openBuildNetwork(ctx.paths, init.pid, ctx.work, spec.resolv, ctx.log);
  };
  try {
    return await runInBuild(ctx, { ...spec, command, waitForGo: true }, 'ignore', filter, wire);
  } finally {
    await net?.close();
  }
}

// Runs inside the build container, so DEST resolves against the image's root: a symlink such as
// /target -> /etc lands in the image's /etc, never the host's (CVE-2018-15664 class).
// $1 dest  $2 mode (file|into)  $3 the single entry's name (file mode)
const COPY_SCRIPT = `set -e
D=$1
if [ "$2" = file ] && [ ! -d "$D" ] && [ "\${D%/}" = "$D" ]; then
  P=$(dirname -- "$D"); mkdir -p -- "$P"
  T=$(mktemp -d "$P/.conductor-copy.XXXXXX")
  tar -xpf - -C "$T"
  mv -f -- "$T/$3" "$D"
  rmdir -- "$T"
else
  mkdir -p -- "$D"
  tar -xpf - -C "$D"
fi
`;

async function copyStep(ctx: StepContext, spec: LaunchSpec, staged: NonNullable<Awaited<ReturnType<typeof stageCopy>>>, dest: string): Promise<number> {
  const filter = await buildFilter(ctx, spec);
  const tar = spawn('tar', ['-C', staged.dir, '-cf', '-', '--', ...staged.entries], { stdio: ['ignore', 'pipe', 'inherit'] });
  const absDest = dest.startsWith('/') ? dest : `/${dest}`;
  const code = await runInBuild(ctx, { ...spec, command: ['/bin/sh', '-c', COPY_SCRIPT, 'conductor-copy', absDest, staged.mode, staged.entries[0] ?? ''] }, tar.stdout!, filter);
  const tarCode = await new Promise<number>((r) => (tar.exitCode !== null ? r(tar.exitCode) : tar.on('close', (c) => r(c ?? 1))));
  return code !== 0 ? code : tarCode;
}

function writeImageRecord(paths: Paths, name: string, base: BaseRef, layers: string[], source: string, log: Logger, config?: ImageConfig): ImageInfo {
  const size = layers.reduce((n, k) => n + (readLayer(paths, k)?.size ?? 0), 0);
  const prev = readImage(paths, name);
  const img: ImageInfo = { name, base, layers, createdAt: new Date().toISOString(), size, source };
  if (config) img.config = config;
  if (prev && prev.layers.join() === layers.join()) img.createdAt = prev.createdAt;
  writeImage(paths, img);
  log.info(`Successfully built image "${name}"`);
  return img;
}
