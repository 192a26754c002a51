/**
 * What a benchmark group is and what it is given. Each group lives in bench/groups/<id>.ts and exports
 * one GroupDef; bench/run.ts (the harness) runs them in the order of bench/groups/index.ts, each with
 * the same BenchContext. No side effects here: types only.
 */
import type { RunResult } from './proc.ts';
import type { Group, Row, Verdict } from './report.ts';
import type { Mem } from './procfs.ts';

/**
 * What the setup prepares for a group beyond the CLI, the tiny image (which also fetches the base)
 * and the host's address, which every run gets.
 * - podman-image: the base imported into podman as localhost/cbench-bookworm;
 * - podman-build: the cbench-build image built once from the same 5-step file (rebuild times the cached one);
 * - demo-images: counter-service and external-service built in the bench root;
 * - conductor-container / podman-container: cbench-exec (conductor) / cbench-pexec (podman) running
 *   `sleep infinity`; both of those a run needs start just before the first group that needs one of
 *   them (podman-container implies podman-image).
 */
export type Need = 'podman-image' | 'podman-build' | 'demo-images' | 'conductor-container' | 'podman-container';

export interface GroupDef {
  id: string;
  title: string;
  unit: string;
  higherIsBetter?: boolean;
  /** The group is skipped when less than this is left of the budget. */
  estimateMs: number;
  ratioHeader?: string;
  needs?: readonly Need[];
  /** Fills `g` (rows, notes, target, …); a throw becomes the group's "Not measured" line. */
  body: (ctx: BenchContext, g: Group) => Promise<void>;
}

/** What the bench made outside its temporary root, for the cleanup. */
export interface Made {
  podmanContainers: Set<string>;
  podmanImages: Set<string>;
  runcPrefix: string;
  hostInterfaces: Set<string>;
}

export interface PodmanContainer {
  pid: number;
  conmon: number;
  id: string;
  upper: string;
}

export interface ConductorInfo {
  pid: number;
  ip: string | null;
  hostInterface: string | null;
}

/** Figures one group measures and a later one shows beside its own (absent when that group did not run). */
export interface Shared {
  nodeE0?: number[];
  help?: number[];
  cachedBuild?: number[];
}

export interface BenchContext {
  /** The repository, dist/conductor.cjs, the debootstrap base rootfs ("R" in the report). */
  repo: string;
  cli: string;
  base: string;
  /**
   * The temporary top directory and, under it, the bench's CONDUCTOR_ROOT, a second fresh root, the build context, a
   * scratch dir.
   */
  top: string;
  root: string;
  fresh: string;
  ctxDir: string;
  scratch: string;
  /**
   * The environment every conductor call gets; envCa adds this environment's NODE_EXTRA_CA_CERTS (null when not set or
   * kept).
   */
  env: NodeJS.ProcessEnv;
  envCa: NodeJS.ProcessEnv | null;
  caLabel: string;
  hostIp: string;
  img: string;
  podman: { flags: readonly string[]; image: string; buildTag: string };
  ports: { http: number; up: number; net: number };
  made: Made;
  shared: Shared;
  /** Filled by the harness before the first group that needs them: 0 / null when not needed or they did not start. */
  long: { cInit: number; podmanExec: PodmanContainer | null };

  log: (s: string) => void;
  sleep: (ms: number) => Promise<void>;
  /** Budget left (ms); a hyperfine timeout bounded by it. */
  left: () => number;
  hfTimeout: (ms: number) => number;
  /** argv of a CLI call, and the call itself with env (fails on a non-zero exit). */
  conductor: (...args: string[]) => string[];
  c: (...args: string[]) => Promise<RunResult>;
  inspectConductor: (name: string) => Promise<ConductorInfo>;
  /** Pss/RSS of the per-container processes (the monitor's process group minus the container's init). */
  monitorMem: (initPid: number) => { mem: Mem; comms: string[] };

  row: (label: string, sample: number[], more?: Partial<Row>) => Row;
  single: (v: number) => Row['summary'];
  /** Ratio column: the first conductor row's median over each other row's. */
  withRatios: (g: Group) => void;
  verdict: (v: Omit<Verdict, 'pass'> & { pass: boolean | null }) => void;
  /** A command as shown in the report: temporary and repository paths shortened. */
  shown: (cmd: string) => string;
  ms: (v: number) => string;
  /** "(… with NODE_EXTRA_CA_CERTS)" for the targets table. */
  caNote: (sample: number[] | undefined) => string;
  /** The note on interleaved timing. */
  interleavedNote: string;
  /** Another group's result in this run (undefined when it was not selected or has not run yet). */
  result: (id: string) => Group | undefined;
}
