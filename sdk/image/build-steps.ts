/**
 * The layer-making steps of a build, each in a build container on top of the layers below it:
 * RUN (the step's argv, environment, WORKDIR and USER), COPY from the context (staged on the
 * host, streamed in) and COPY --from a stage or image (streamed from a container of that stage
 * straight into this one: the source's paths resolve inside its own root, never on the host).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { INIT_HELPER, MONITOR, type Paths } from '../config.ts';
import { containerEnv, type LaunchSpec } from '../launch/launch-plan.ts';
import { launchAttached, type BeforeStart } from '../launch/launcher.ts';
import { hostResolvConf } from '../host/resolv.ts';
import type { Logger } from '../log.ts';
import { openFilter, seccompFilter } from '../security/seccomp/filter.ts';
import { openCacheMounts } from './build-cache.ts';
import { openBuildNetwork, type BuildNetwork } from './build-network.ts';
import type { BuildStep } from './plan-steps.ts';
import type { StagedCopy } from './copy-stage.ts';
import { mergeEnv } from './image-config.ts';
import { lowerdirs } from './layers.ts';

export interface StepContext {
  paths: Paths;
  log: Logger;
  work: string;
  context: string;
  file: string;
  noCache: boolean;
  signal?: AbortSignal;
  /** The RUN/COPY containers' seccomp filter (the default profile, compiled once per build). */
  seccomp?: Promise<string | null>;
  network: 'nat' | 'host';
  /** FROM a registry image: pull again even if pulled before; verify TLS (false: plain HTTP allowed). */
  pull?: boolean;
  tlsVerify?: boolean;
}

/** What a step stacks on: the bottom rootfs (a debootstrap base) and the layer ids above it. */
export interface Stack {
  baseRootfs: string;
  layers: string[];
}

/** Where the step's own writes go: a pending layer, or a throwaway upper (COPY --from's source). */
export interface Upper {
  diff: string;
  work: string;
  merged: string;
}

export function buildSpec(ctx: StepContext, stack: Stack, upper: Upper): LaunchSpec {
  const files = path.join(ctx.work, 'etc');
  if (!existsSync(files)) {
    mkdirSync(files, { recursive: true });
    writeFileSync(path.join(files, 'resolv.conf'), hostResolvConf() ?? '');
  }
  return {
    lowerdirs: lowerdirs(ctx.paths, stack.baseRootfs, stack.layers),
    upper: upper.diff,
    work: upper.work,
    rootfs: upper.merged,
    // Only resolv.conf is lent to RUN steps (apt needs it); nothing of it stays in the layer.
    hosts: '',
    hostnameFile: '',
    resolv: path.join(files, 'resolv.conf'),
    hostname: 'conductor-build',
    // RUN steps are wired in runStep (or opt into the host's network); COPY needs none.
    network: 'none',
    env: [...containerEnv('conductor-build', false), 'DEBIAN_FRONTEND=noninteractive'],
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

type Output = (chunk: Buffer, stream: 'stdout' | 'stderr') => void;

// No await between spawning COPY's tar and piping it in: node drains (discards) the output of a
// child that exits while nobody reads it. Hence the filter is resolved by the caller beforehand.
async function runInBuild(
  ctx: StepContext,
  spec: LaunchSpec,
  stdin: 'ignore' | Readable,
  filter: string | null,
  beforeStart?: BeforeStart,
  onOutput?: Output,
): Promise<number> {
  const extraFds = filter ? [openFilter(filter)] : [];
  const started = await launchAttached(
    { ...spec, seccompFd: filter ? 4 : undefined },
    { stdin, onOutput: onOutput ?? ((c) => ctx.log.raw(c)), extraFds, beforeStart },
  );
  const kill = () => started.child.kill('SIGKILL');
  ctx.signal?.addEventListener('abort', kill, { once: true });
  try {
    return (await started.exit).exitCode;
  } finally {
    ctx.signal?.removeEventListener('abort', kill);
  }
}

/** A RUN step: its environment (ENV, ARGs, proxy args over conductor's defaults), WORKDIR and USER. */
export async function runStep(
  ctx: StepContext,
  spec: LaunchSpec,
  step: Extract<BuildStep, { kind: 'RUN' }>,
): Promise<number> {
  const env = mergeEnv(
    [...containerEnv('conductor-build', false, step.user === undefined), 'DEBIAN_FRONTEND=noninteractive'],
    [...step.env, ...step.proxyEnv],
  );
  const filter = await buildFilter(ctx, spec);
  const caches = await openCacheMounts(ctx.paths, ctx.work, ctx.noCache, step.mounts, ctx.log);
  const run: LaunchSpec = { ...spec, command: step.argv, env, workdir: step.workdir, user: step.user };
  if (caches.mountArgs.length > 0) run.mounts = caches.mountArgs;
  let net: BuildNetwork | undefined;
  const wire: BeforeStart = async (init) => {
    net = await openBuildNetwork(ctx.paths, init.pid, ctx.work, spec.resolv, ctx.log);
  };
  try {
    if (ctx.network === 'host') return await runInBuild(ctx, { ...run, network: 'host' }, 'ignore', filter);
    return await runInBuild(ctx, { ...run, waitForGo: true }, 'ignore', filter, wire);
  } finally {
    await net?.close();
    caches.release();
  }
}

// Runs inside the build container, so DEST resolves against the image's root: a symlink such as
// /target -> /etc lands in the image's /etc, never the host's (CVE-2018-15664 class). --chown is
// `chown` of the image itself, so names resolve in the image's /etc/passwd and /etc/group.
// $1 dest  $2 mode (file|into|auto)  $3 the single entry's name (file mode)  $4 chown spec or ''
// auto (COPY --from): the stream holds \`mode\`, \`name\` and \`data/\`, made by FROM_SCRIPT.
const COPY_SCRIPT = `set -e
D=$1 M=$2 N=$3 C=$4
if [ "$M" != auto ] && [ -z "$C" ]; then
  if [ "$M" = file ] && [ ! -d "$D" ] && [ "\${D%/}" = "$D" ]; then
    P=$(dirname -- "$D"); mkdir -p -- "$P"
    T=$(mktemp -d "$P/.conductor-copy.XXXXXX")
    tar -xpf - -C "$T"
    mv -f -- "$T/$N" "$D"
    rmdir -- "$T"
  else
    mkdir -p -- "$D"
    tar -xpf - -C "$D"
  fi
  exit 0
fi
P=$(dirname -- "$D"); mkdir -p -- "$P"
T=$(mktemp -d "$P/.conductor-copy.XXXXXX")
tar -xpf - -C "$T"
S=$T
if [ "$M" = auto ]; then M=$(cat "$T/mode"); N=$(cat "$T/name"); S=$T/data; fi
cd "$S"
set --
for e in * .[!.]* ..?*; do if [ -e "$e" ] || [ -L "$e" ]; then set -- "$@" "$e"; fi; done
[ -z "$C" ] || [ $# -eq 0 ] || chown -hR -- "$C" "$@"
if [ "$M" = file ] && [ ! -d "$D" ] && [ "\${D%/}" = "$D" ]; then
  mv -f -- "$S/$N" "$D"
else
  mkdir -p -- "$D"
  [ $# -eq 0 ] || tar -cf - -- "$@" | tar -xpf - -C "$D"
fi
cd /
rm -rf -- "$T"
`;

function copyArgs(dest: string, mode: string, name: string, chown: string | undefined): string[] {
  const absDest = dest.startsWith('/') ? dest : `/${dest}`;
  return ['/bin/sh', '-c', COPY_SCRIPT, 'conductor-copy', absDest, mode, name, chown ?? ''];
}

export async function copyStep(
  ctx: StepContext,
  spec: LaunchSpec,
  staged: StagedCopy,
  dest: string,
  chown?: string,
): Promise<number> {
  const filter = await buildFilter(ctx, spec);
  const tar = spawn('tar', ['-C', staged.dir, '-cf', '-', '--', ...staged.entries], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const code = await runInBuild(
    ctx,
    { ...spec, command: copyArgs(dest, staged.mode, staged.entries[0] ?? '', chown) },
    tar.stdout!,
    filter,
  );
  const tarCode = await new Promise<number>((r) =>
    tar.exitCode !== null ? r(tar.exitCode) : tar.on('close', (c) => r(c ?? 1)),
  );
  return code !== 0 ? code : tarCode;
}

// Runs inside a throwaway container of the SOURCE stage or image: its paths (symlinks too) resolve
// in its own root. A directory gives its contents, a file itself, as Docker's COPY does; one file
// to a destination without a trailing "/" is copied to exactly that name.
// $1 "dir" if the destination ends in "/"  $2.. sources (absolute in the source root)
const FROM_SCRIPT = `set -e
T=$(mktemp -d /tmp/.conductor-from.XXXXXX); mkdir "$T/data"; into=$1; shift
if [ $# -eq 1 ] && [ ! -d "$1" ] && [ "$into" != dir ]; then
  echo file > "$T/mode"; b=\${1##*/}; echo "$b" > "$T/name"; cp -a -- "$1" "$T/data/$b"
else
  echo into > "$T/mode"; : > "$T/name"
  for s in "$@"; do
    if [ -d "$s" ]; then cp -a -- "$s/." "$T/data/"; else cp -a -- "$s" "$T/data/"; fi
  done
fi
tar -cf - -C "$T" mode name data
`;

/** COPY --from: a container of the source stack tars the sources; this step's container unpacks them. */
export async function copyFromStep(
  ctx: StepContext,
  spec: LaunchSpec,
  source: LaunchSpec,
  step: Extract<BuildStep, { kind: 'COPY' }>,
): Promise<number> {
  const filter = await buildFilter(ctx, spec);
  const pipe = new PassThrough();
  const errors: Buffer[] = [];
  const into = step.dest.endsWith('/') ? 'dir' : 'path';
  const src = runInBuild(
    ctx,
    { ...source, command: ['/bin/sh', '-c', FROM_SCRIPT, 'conductor-from', into, ...step.sources] },
    'ignore',
    filter,
    undefined,
    (c, s) => {
      if (s === 'stdout') pipe.write(c);
      else errors.push(c);
    },
  ).finally(() => pipe.end());
  const [srcCode, code] = await Promise.all([
    src,
    runInBuild(ctx, { ...spec, command: copyArgs(step.dest, 'auto', '', step.chown) }, pipe, filter),
  ]);
  if (srcCode !== 0) {
    ctx.log.raw(Buffer.concat(errors));
    return srcCode;
  }
  return code;
}
