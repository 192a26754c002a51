/** Records conductor keeps on disk and hands back to callers. Leaves: no imports. */

export type Distro = 'debian' | 'ubuntu';

export interface BaseRef {
  /** 'scratch': the empty base under imported and pulled images (sdk/image/oci/scratch.ts). */
  distro: Distro | 'scratch';
  suite: string;
}

/** One port published from the host to the container. */
export interface PortMapping {
  container: number;
  host: number;
}

export interface ImageInfo {
  name: string;
  base: BaseRef;
  /** Layer ids (directories under .layers), bottom first, not counting the base. */
  layers: string[];
  createdAt: string;
  /** Bytes in this image's own layers (the base is shared and not counted). */
  size: number;
  /** The Conductorfile it came from, for `inspect` and humans. */
  source: string;
  /** How a container of it starts (ENV, CMD, WORKDIR...); absent in images built before conductor kept one. */
  config?: ImageConfig;
  /** `sha256:<hex>` of base, layers and config: what `build -q` prints. Absent in older images. */
  id?: string;
  /** The local image it was built FROM (its layers are the bottom of `layers`). */
  parent?: string;
  /** One entry per instruction, oldest first, inherited ones included; absent in older images. */
  history?: ImageHistoryEntry[];
}

export interface ImageHistoryEntry {
  /** The instruction as the cache key saw it (`RUN apt-get ...`, `CMD ["app"]`). */
  instruction: string;
  /** The layer it made; absent for metadata-only instructions (OCI's empty_layer). */
  layer?: string;
}

/**
 * What an image says about the containers made from it. Field for field OCI's image config
 * (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Labels, StopSignal, Volumes), so an OCI
 * export maps it 1:1; `shell` is Docker's extension (the SHELL instruction), not OCI's.
 */
export interface ImageConfig {
  /** `KEY=value`, in the order first set; a later ENV of the same key replaces it in place. */
  env: string[];
  cmd?: string[];
  entrypoint?: string[];
  /** Absolute and normalised; absent means "/". */
  workdir?: string;
  /** `user`, `uid`, `user:group` or `uid:gid`, resolved against the image's /etc/passwd at run time. */
  user?: string;
  /** `8080/tcp`, `53/udp`: metadata, as in Docker; publishing is still explicit. */
  exposedPorts: string[];
  labels: Record<string, string>;
  /** As written (`SIGTERM`, `TERM`, `15`, `SIGRTMIN+3`); validated at build, parsed by parseStopSignal. */
  stopSignal?: string;
  /** Prepended to the shell form of RUN, CMD and ENTRYPOINT. */
  shell: string[];
  /** Metadata only: conductor records VOLUME but creates no volume for it. */
  volumes: string[];
  /** HEALTHCHECK, as Docker's image config keeps it; absent: none (or inherited none). */
  healthcheck?: ImageHealthcheck;
}

/**
 * Docker's HEALTHCHECK in an image config: `test` is `['CMD', ...argv]`, `['CMD-SHELL', text]` or
 * `['NONE']` (disables an inherited one); an absent duration or retries takes the default at run.
 */
export interface ImageHealthcheck {
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  retries?: number;
}

/** A container's healthcheck, every default filled in (the image's merged with run's --health-*). */
export interface HealthcheckConfig {
  /** `['CMD', ...argv]` or `['CMD-SHELL', text]`. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
  /** The image's SHELL for `CMD-SHELL`, when it is not `/bin/sh -c`. */
  shell?: string[];
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe: when it ran, its exit code (-1: timed out or could not start) and its output, truncated. */
export interface HealthLogEntry {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

/** The health of one init of a container (a restart starts again from `starting`). */
export interface HealthState {
  status: HealthStatus;
  /** Consecutive failures counted (those in the start period while starting are not). */
  failingStreak: number;
  /** The last five probes, oldest first. */
  log: HealthLogEntry[];
  /** The init these results belong to. */
  init: ProcessRef;
}

export interface ResourceLimits {
  /** Bytes. */
  memory?: number;
  /** Fraction of CPUs, e.g. 0.5. */
  cpus?: number;
  pids?: number;
}

export interface ProcessRef {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: with the PID it names one process for the life of the boot. */
  startTime: string;
}

/**
 * One change to the host, as data: the executor (sdk/network/host-executor.ts) makes it, `--dry-run`
 * prints it, a recording executor stands in for the host in tests.
 */
export type HostOp =
  /** A host tool, with `input` on its stdin (iptables-restore, `ip -b -`). */
  | { kind: 'exec'; argv: string[]; input?: string }
  /** Write /proc/sys/<key with dots as slashes>. */
  | { kind: 'sysctl'; key: string; value: string }
  /** Truncate and rewrite the same inode (the file is bind-mounted into a container). */
  | { kind: 'write-in-place'; file: string; content: string }
  /** Add or remove the line `<ip> <name>` of a hosts file, in place, under a host-wide lock. */
  | { kind: 'hosts'; action: 'add' | 'remove'; file: string; ip: string; name: string }
  /** Nothing: a place in a plan whose undo must run after the undos of the steps that follow it. */
  | { kind: 'forwarding-hold' }
  /** net.ipv4.ip_forward=1 if it is 0, remembered for this boot (sdk/network/ip-forward.ts). */
  | { kind: 'forwarding-on' }
  /** net.ipv4.ip_forward=0 if conductor set it and no conductor rule but `tag`'s needs it. */
  | { kind: 'forwarding-release'; tag: string };

/** A host change's undo, recorded before the change is made, replayed in reverse by stop and prune. */
export interface UndoStep {
  op: HostOp;
  /** What it undoes, for logs and `--dry-run`. */
  about: string;
}

/**
 * The record format this conductor writes. 2: undo steps are typed `HostOp`s. 1 (or absent, older
 * still): undo steps were argv lists with `@`-prefixed internal operations; read and upgraded.
 */
export const RECORD_VERSION = 2;

export interface NetworkRecord {
  ip: string;
  prefixLength: number;
  gateway: string;
  hostInterface: string;
  internet: boolean;
  ports: PortMapping[];
  peers: string[];
  /** Host TCP ports opened to the container (absent: none). */
  allowHost?: number[];
}

/** 'restarting': its monitor waits out the backoff before starting it again (`--restart`). */
export type ContainerStatus = 'created' | 'running' | 'restarting' | 'exited';

/**
 * `--restart` as Docker reads it, `no` being no policy at all. `unless-stopped` acts as `always`:
 * with no daemon, nothing restarts containers at boot either way (see `conductor generate systemd`).
 * @example const p: RestartPolicy = { policy: 'on-failure', maxRetries: 2 };
 */
export interface RestartPolicy {
  policy: 'on-failure' | 'always' | 'unless-stopped';
  /** on-failure only: at most this many restarts; absent = no limit. */
  maxRetries?: number;
}

/**
 * `run`'s health flags (Docker's --health-cmd, --health-interval, ..., --no-healthcheck).
 * @example const h: HealthOverrides = { cmd: 'curl -f http://localhost/', intervalMs: 5000, retries: 2 };
 */
export interface HealthOverrides {
  /** Shell form, as `--health-cmd` (run through the image's SHELL, else /bin/sh -c). */
  cmd?: string;
  intervalMs?: number;
  timeoutMs?: number;
  startPeriodMs?: number;
  retries?: number;
  /** Disable any healthcheck the image has (`--no-healthcheck`). */
  disable?: boolean;
}

/**
 * The run options that the image's config fills in when absent, as the run gave them (a bare `-e K`
 * with the caller's value filled in): `generate systemd` replays them, so each start resolves the
 * image anew, as the run did. The other options are in the record as given.
 * @example const r: RunRequest = { command: ['nginx', '-g', 'daemon off;'], env: ['MODE=prod'] };
 */
export interface RunRequest {
  command?: string[];
  health?: HealthOverrides;
  entrypoint?: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  stopSignal?: string;
}

/** A `run` still making its container: left alone by prune and `stop --all` while `by` lives. */
export interface CreatingMark {
  by: ProcessRef;
  /**
   * Random tag in the environment of every process the launch starts (CONDUCTOR_LAUNCH=<tag>):
   * how stop finds that launch's processes if the creator died before recording their PIDs.
   */
  launchTag: string;
}

export interface ContainerRecord {
  /** Record format (RECORD_VERSION); records on disk may say 1 or nothing, upgraded on read. */
  version?: typeof RECORD_VERSION;
  name: string;
  image: string;
  /** Layer ids the overlay stacks, bottom first: kept by rmi/rmcache while this record exists. */
  layers?: string[];
  /** The base under them, kept by rmcache likewise. */
  base?: BaseRef;
  /** Present until the container is complete (its init and monitor recorded). */
  creating?: CreatingMark;
  /** Set by stop once it starts removing the container: no other writer may touch the record. */
  stopping?: ProcessRef;
  command: string[];
  env: string[];
  workdir: string;
  /** `name|uid[:group|gid]` the command runs as (the image's USER or `run -u`); absent = root. */
  user?: string;
  /** What stop sends first (the image's STOPSIGNAL or `run --stop-signal`); absent = SIGTERM. */
  stopSignal?: string;
  hostname: string;
  createdAt: string;
  /** Detached containers: the monitor, parent of the init, which records its exit code and log. */
  monitor?: ProcessRef;
  /**
   * The container's PID 1 as seen from the host. With a restart policy, the current one is in the
   * monitor's pid file, which loadRecord reads over this.
   */
  init?: ProcessRef;
  /** `run -d --restart`: the monitor starts it again after it exits (absent = `no`). */
  restart?: RestartPolicy;
  /** What the run asked for over the image's defaults (absent in records made before it was kept). */
  request?: RunRequest;
  detached: boolean;
  autoRemove: boolean;
  exitCode?: number;
  finishedAt?: string;
  network?: NetworkRecord;
  limits: ResourceLimits;
  /** Cgroup directories created for this container (absolute paths), removed on stop. */
  cgroups: string[];
  /** Host changes to undo on stop, in the order they were made. */
  undo: UndoStep[];
  security: SecurityOptions;
  /** Bind, volume and tmpfs mounts, as resolved at run (bind sources absolute and real). */
  mounts?: Mount[];
  /** The root filesystem is mounted read-only (`--read-only`). */
  readOnly?: boolean;
  /** The healthcheck the monitor runs (absent: none, or disabled). */
  healthcheck?: HealthcheckConfig;
  /** What `healthcheck run` last recorded. */
  health?: HealthState;
}

/**
 * One mount into a container (Docker's --mount). bind: `source` is an absolute host path; volume:
 * `source` is a volume name (created on first use); tmpfs: no source, `options` are tmpfs options
 * (`size=64m`, `mode=1777`). Every mount is nosuid,nodev; `options` may add `noexec` (all types)
 * or `nocopy` (volume: no copy-up of the image's content).
 */
export interface Mount {
  type: 'bind' | 'volume' | 'tmpfs';
  source?: string;
  target: string;
  readonly?: boolean;
  options?: string[];
}

/** A named volume: a plain directory under the state root (.volumes/NAME/_data). */
export interface VolumeInfo {
  name: string;
  /** The host directory mounted into containers. */
  mountpoint: string;
  createdAt: string;
  /** Containers whose records mount it. */
  usedBy: string[];
}

export interface SecurityOptions {
  /** Every capability, no /proc masking, no seccomp (Docker's --privileged). */
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  /** The syscall filter; absent = 'default'. */
  seccomp?: SeccompOption;
}

/**
 * 'default': Docker's default profile semantics over the distribution's
 * /usr/share/containers/seccomp.json (conductor's sdk/seccomp/default.json when it has none).
 * 'unconfined': no filter. { profile }: a JSON profile in Docker's format (a relative path is
 * resolved against the caller's working directory; records hold it absolute).
 */
export type SeccompOption = 'default' | 'unconfined' | { profile: string };

export interface ContainerInfo {
  name: string;
  image: string;
  status: ContainerStatus;
  pid: number | null;
  exitCode: number | null;
  ip: string | null;
  ports: PortMapping[];
  command: string[];
  createdAt: string;
  limits: ResourceLimits;
  /** When the current init started (running containers). */
  startedAt?: string;
  /** Running containers with a healthcheck: the current init's health. */
  health?: HealthStatus | null;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** With dryRun: what exec would start, as shell lines; nothing was started. */
  plan?: string[];
}
