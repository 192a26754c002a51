/**
 * run: image → overlay rootfs → namespaces → command; attached or detached.
 * createRecord (under the root lock) → cgroups → launch (network wired before the command runs).
 */
import { randomHex } from '../host/random.ts';
import { resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { closeFds, cgroupId, createCgroups, detectLayout, openProcsFds } from '../limits/cgroupfs.ts';
import { planCgroups } from '../limits/plan.ts';
import { prepareContainerDir } from '../launch/container-files.ts';
import { ConductorError } from '../errors.ts';
import { withLock } from '../state/lock.ts';
import { requireInitHelper, requireRoot } from '../host/preflight.ts';
import { containerEnv, withCallerValues } from '../launch/launch-plan.ts';
import type { BeforeStart } from '../launch/launcher.ts';
import { startAttached, startDetached } from './run-start.ts';
import { planRunDry } from './run-dry-run.ts';
import { containerSpec, requireNameFree, requireRunnable } from './run-spec.ts';
import { validateName } from '../names.ts';
import { addNetwork } from '../network/add-network.ts';
import { containerPaths, createRecordDir, updateRecord } from '../state/containers.ts';
import { refOf } from '../host/proc.ts';
import { removeContainer } from './stop.ts';
import { restartFor } from './restart-policy.ts';
import { openFilter, pinFilter, seccompChoice, seccompFilter } from '../security/seccomp/filter.ts';
import { defaultImageConfig, mergeEnv, resolveCommand } from '../image/image-config.ts';
import { parseStopSignal } from '../image/stop-signal.ts';
import { checkHealthOverrides, mergeHealthcheck, type HealthOverrides } from '../image/healthcheck.ts';
import { RECORD_VERSION } from '../types.ts';
import type {
  ContainerRecord,
  ImageConfig,
  ImageInfo,
  Mount,
  PortMapping,
  ResourceLimits,
  RestartPolicy,
  RunRequest,
  SecurityOptions,
} from '../types.ts';
import { resolveMounts } from '../volume/resolve-mounts.ts';
import { ensureVolumes } from '../volume/volumes.ts';

/**
 * A container's options: its command, environment, user, network, limits, security, mounts, restarts.
 * @example
 * const opts: RunOptions = { detach: true, env: ['MODE=prod'], limits: { memory: 256 * 2 ** 20 }, restart: 'always' };
 */
export interface RunOptions extends CommonOptions {
  /** Replaces the image's CMD (appended to an exec-form ENTRYPOINT); with neither, /bin/bash. */
  command?: string[];
  /** `--entrypoint`: replaces the image's ENTRYPOINT and drops its CMD; `[]` clears it. */
  entrypoint?: string[];
  /**
   * `-u name|uid[:group|gid]`, resolved in the image's /etc/passwd and /etc/group at start
   * (default: the image's USER, else root).
   */
  user?: string;
  /** What stop sends first (default: the image's STOPSIGNAL, else SIGTERM). */
  stopSignal?: string;
  /** Return once the command runs; it outlives the caller. */
  detach?: boolean;
  /**
   * Detached only: start it again when it exits, Docker's `--restart` (`'on-failure:2'`, `'always'`,
   * ...) with its backoff; `stop` ends it for good.
   */
  restart?: string | RestartPolicy;
  /** Remove the container when its command exits (attached) — as `docker run --rm`. */
  rm?: boolean;
  /** K=V over the image's ENV (or K: the caller's value, unset if the caller has none). */
  env?: string[];
  /** Default: the image's WORKDIR, else "/". */
  workdir?: string;
  hostname?: string;
  /** Attached only: connect the caller's stdin. */
  interactive?: boolean;
  tty?: boolean;
  /** Attached only: 'inherit' passes the caller's stdout/stderr through; 'collect' returns them. */
  output?: 'inherit' | 'collect';
  /** Wire a network before the command starts. */
  network?: { internet?: boolean; expose?: PortMapping[]; allowHost?: number[] };
  limits?: ResourceLimits;
  security?: Partial<SecurityOptions>;
  /** Bind mounts, named volumes (created on first use) and tmpfs mounts (sdk/volume/mount-spec.ts). */
  mounts?: Mount[];
  /** Mount the root filesystem read-only (`--read-only`); mounts keep their own mode. */
  readOnly?: boolean;
  /**
   * Over the image's HEALTHCHECK, field by field (`--health-cmd`, `--health-interval`, ...);
   * `{ disable: true }` is `--no-healthcheck`.
   */
  health?: HealthOverrides;
  /** Check everything as run does, then return the record and `plan`, changing nothing. */
  dryRun?: boolean;
}

export interface RunResult {
  record: ContainerRecord;
  /** Attached runs: the command's exit code. */
  exitCode?: number;
  oomKilled?: boolean;
  stdout?: string;
  stderr?: string;
  /** With dryRun: each host change run would make, as shell lines; nothing was changed. */
  plan?: string[];
}

const DEFAULT_SECURITY: SecurityOptions = { privileged: false, capAdd: [], capDrop: [] };

/** The record fields that come from the image's config, overridden by the run's options. */
type StartFields = 'command' | 'env' | 'workdir' | 'user' | 'stopSignal' | 'healthcheck';

const USER_SPEC = /^[^:\s]+(?::[^:\s]+)?$/;

function checkUser(user: string): void {
  if (!USER_SPEC.test(user))
    throw new ConductorError('INVALID_ARGUMENT', `invalid user ${JSON.stringify(user)}`, {
      hint: 'use name, uid, name:group or uid:gid',
    });
}

/**
 * Docker's rules: ENTRYPOINT/CMD through resolveCommand; the environment is conductor's defaults,
 * then the image's ENV, then `env` (a bare K takes the caller's value, or unsets K when the caller
 * has none, as `docker run -e K`); WORKDIR and USER unless overridden.
 */
function startFields(
  config: ImageConfig,
  opts: RunOptions,
  hostname: string,
  tty: boolean,
): Pick<ContainerRecord, StartFields> {
  const user = opts.user ?? config.user;
  const env = mergeEnv(
    mergeEnv(containerEnv(hostname, tty, user === undefined), config.env),
    withCallerValues(opts.env ?? [], process.env),
  );
  const out: Pick<ContainerRecord, StartFields> = {
    command: resolveCommand(config, { command: opts.command, entrypoint: opts.entrypoint }),
    env,
    workdir: opts.workdir ?? config.workdir ?? '/',
  };
  if (user !== undefined) out.user = user;
  const stopSignal = opts.stopSignal ?? config.stopSignal;
  if (stopSignal !== undefined) out.stopSignal = stopSignal;
  const healthcheck = mergeHealthcheck(config.healthcheck, opts.health ?? {}, config.shell);
  if (healthcheck) out.healthcheck = healthcheck;
  return out;
}

/** The options startFields resolves against the image, as given (see RunRequest). */
function runRequest(opts: RunOptions): RunRequest {
  const given: RunRequest = {
    command: opts.command?.length ? opts.command : undefined,
    entrypoint: opts.entrypoint,
    env: opts.env?.length ? withCallerValues(opts.env, process.env) : undefined,
    workdir: opts.workdir,
    user: opts.user,
    stopSignal: opts.stopSignal,
    health: opts.health,
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
}

/**
 * Create the record under the root lock: exactly one of many racing `run`s with a name wins. The
 * image is read here, under the lock rmi and rmcache take, and the record names its layers: from
 * then on they are kept for this container, whatever happens to the image.
 */
async function createRecord(
  paths: Paths,
  image: string,
  draft: Omit<ContainerRecord, 'layers' | 'base' | StartFields>,
  fromImage: (img: ImageInfo) => Pick<ContainerRecord, StartFields>,
): Promise<{ record: ContainerRecord; base: string }> {
  return withLock(paths.locks, 'names', async () => {
    requireNameFree(containerPaths(paths, draft.name), draft.name);
    const { img, base } = requireRunnable(paths, image);
    const record: ContainerRecord = { ...draft, ...fromImage(img), layers: img.layers, base: img.base };
    ensureVolumes(paths, record.mounts ?? []);
    createRecordDir(paths, record);
    return { record, base };
  });
}

export async function runContainer(image: string, name: string, opts: RunOptions = {}): Promise<RunResult> {
  validateName('image', image);
  validateName('container', name);
  requireRoot();
  requireInitHelper(Boolean(opts.tty) && !opts.detach);
  const paths = resolvePaths(opts.root);
  const hostname = opts.hostname ?? name;
  if (opts.hostname !== undefined) validateName('container', opts.hostname);
  const tty = Boolean(opts.tty);
  const creator = refOf(process.pid)!;
  const launchTag = randomHex(16);
  if (opts.user !== undefined) checkUser(opts.user);
  if (opts.stopSignal !== undefined) parseStopSignal(opts.stopSignal);
  // Conflicts and bad values fail before anything is made; the image's part is merged under the lock.
  if (opts.health) checkHealthOverrides(opts.health);
  if (opts.workdir !== undefined && !opts.workdir.startsWith('/'))
    throw new ConductorError('INVALID_ARGUMENT', `workdir "${opts.workdir}" must be an absolute path`);
  const draft: Omit<ContainerRecord, 'layers' | 'base' | StartFields> = {
    version: RECORD_VERSION,
    name,
    image,
    creating: { by: creator, launchTag },
    hostname,
    createdAt: new Date().toISOString(),
    detached: Boolean(opts.detach),
    autoRemove: Boolean(opts.rm),
    limits: opts.limits ?? {},
    cgroups: [],
    undo: [],
    security: { ...DEFAULT_SECURITY, ...opts.security },
    mounts: resolveMounts(paths, opts.mounts ?? []),
    readOnly: Boolean(opts.readOnly),
  };
  draft.request = runRequest(opts);
  const restart = restartFor(opts.restart, opts);
  if (restart) draft.restart = restart;
  draft.security.seccomp = seccompChoice(draft.security);
  // Before the record: a bad profile must leave nothing behind.
  const filter = await seccompFilter(paths, draft.security, { dryRun: opts.dryRun });
  const fromImage = (i: ImageInfo) => startFields(i.config ?? defaultImageConfig(), opts, hostname, tty);
  if (opts.dryRun) return planRunDry(paths, image, draft, opts, filter, fromImage);
  // The cgroups go into the record's first write, before they exist (one write fewer): a run killed
  // before making them leaves a record whose teardown finds them missing, which counts as removed.
  const layout = detectLayout();
  const cgroupOpts = { layout, allDevices: draft.security.privileged };
  draft.cgroups = planCgroups(layout, cgroupId(paths.root, name), draft.limits, cgroupOpts).dirs;
  const { record: rec, base } = await createRecord(paths, image, draft, fromImage);
  const cp = containerPaths(paths, name);
  let fds: number[] = [];
  try {
    prepareContainerDir(cp, hostname);
    const cg = await createCgroups(cgroupId(paths.root, name), rec.limits, cgroupOpts);
    fds = openProcsFds(cg.procs);
    const ncg = fds.length;
    if (filter) fds.push(openFilter(pinFilter(filter, cp.dir)));
    const spec = containerSpec(
      paths,
      cp,
      rec,
      base,
      { cgroups: ncg, seccomp: Boolean(filter) },
      { launchTag, waitForGo: Boolean(opts.network) },
    );
    const beforeStart: BeforeStart | undefined = opts.network
      ? async (init) => {
          await updateRecord(paths, name, (r) => ({ ...r, init }));
          await addNetwork(name, { ...opts.network, root: opts.root, log: opts.log });
        }
      : undefined;
    const childFds = fds;
    fds = []; // the launcher closes them once the child holds its copies
    return opts.detach
      ? await startDetached(paths, name, spec, childFds, tty, beforeStart)
      : await startAttached(paths, name, spec, childFds, opts, beforeStart);
  } catch (e) {
    closeFds(fds); // only those not yet handed to the launcher
    await removeContainer(paths, name, { timeoutSeconds: 0, asCreator: true }).catch(() => {});
    throw e;
  }
}
