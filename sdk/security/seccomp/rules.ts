/**
 * Pure: a Docker-format profile + the container's capabilities + the host's architecture and
 * kernel → the rule list native/seccomp-compile turns into BPF (format in its header). This is
 * where the profile's conditions are decided, as moby's setupSeccomp does, so the compiled filter
 * (and its cache key) depends on the effective capability set. How each rule becomes libseccomp
 * calls follows runc: a rule whose action is the default's is dropped (libseccomp refuses it),
 * and several conditions on one argument become one rule each.
 */
import type { SeccompAction, SeccompArg, SeccompFilter, SeccompProfile } from './profile.ts';

export interface SeccompTarget {
  /** Docker's name for the native architecture ("amd64", "arm64"; see nativeArch). */
  arch: string;
  /** The container's effective (= bounding) capability set, "CAP_..." names. */
  caps: ReadonlySet<string>;
  /** Running kernel, [major, minor]. */
  kernel: [number, number];
}

/** Docker's native arch name → the libseccomp architecture archMap entries are keyed by. */
const SECCOMP_ARCH: Record<string, string> = {
  x86: 'SCMP_ARCH_X86',
  amd64: 'SCMP_ARCH_X86_64',
  arm: 'SCMP_ARCH_ARM',
  arm64: 'SCMP_ARCH_AARCH64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
  mips64: 'SCMP_ARCH_MIPS64',
  mips64n32: 'SCMP_ARCH_MIPS64N32',
  mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32',
  mipsle: 'SCMP_ARCH_MIPSEL',
  ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390',
  s390x: 'SCMP_ARCH_S390X',
};

/** Node's process.arch → Docker's native arch name. */
export function nativeArch(nodeArch: string = process.arch): string {
  const m: Record<string, string> = {
    x64: 'amd64',
    ia32: 'x86',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
    loong64: 'loong64',
    mips64el: 'mipsel64',
    mipsel: 'mipsle',
  };
  return m[nodeArch] ?? nodeArch;
}

/** "6.18.0-1-amd64" → [6, 18]. */
export function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

/** SCMP_ARCH_X86_64 → x86_64, libseccomp's own spelling. */
const archToken = (a: string) => a.replace(/^SCMP_ARCH_/, '').toLowerCase();

function actionToken(action: SeccompAction, errnoRet: number | undefined): string {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return 'allow';
    case 'SCMP_ACT_ERRNO':
      return `errno ${errnoRet ?? 1}`;
    case 'SCMP_ACT_TRACE':
      return `trace ${errnoRet ?? 1}`;
    case 'SCMP_ACT_TRAP':
      return 'trap';
    case 'SCMP_ACT_LOG':
      return 'log';
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return 'kill_thread';
    case 'SCMP_ACT_KILL_PROCESS':
      return 'kill_process';
  }
}

const OP: Record<SeccompArg['op'], string> = {
  SCMP_CMP_NE: 'ne',
  SCMP_CMP_LT: 'lt',
  SCMP_CMP_LE: 'le',
  SCMP_CMP_EQ: 'eq',
  SCMP_CMP_GE: 'ge',
  SCMP_CMP_GT: 'gt',
  SCMP_CMP_MASKED_EQ: 'masked_eq',
};

const atLeast = (k: [number, number], min: string) => {
  const [maj, minor] = min.split('.').map(Number) as [number, number];
  return k[0] > maj || (k[0] === maj && k[1] >= minor);
};

/** moby's setupSeccomp: excludes (any match skips), then includes (all must match). */
export function ruleApplies(t: SeccompTarget, includes?: SeccompFilter, excludes?: SeccompFilter): boolean {
  if (excludes) {
    if (excludes.arches?.includes(t.arch)) return false;
    if (excludes.caps?.some((c) => t.caps.has(c))) return false;
    if (excludes.minKernel && atLeast(t.kernel, excludes.minKernel)) return false;
  }
  if (includes) {
    if (includes.arches && includes.arches.length > 0 && !includes.arches.includes(t.arch)) return false;
    if (includes.caps && !includes.caps.every((c) => t.caps.has(c))) return false;
    if (includes.minKernel && !atLeast(t.kernel, includes.minKernel)) return false;
  }
  return true;
}

/** The architectures the filter accepts: explicit ones, else the native arch's archMap entry. */
export function filterArches(p: SeccompProfile, arch: string): string[] {
  if (p.architectures) return p.architectures.map(archToken);
  const native = SECCOMP_ARCH[arch];
  const entry = p.archMap?.find((a) => a.architecture === native);
  return entry ? [entry.architecture, ...entry.subArchitectures].map(archToken) : [];
}

/**
 * The compiler's input for one container.
 * @example planSeccomp(parseSeccompProfile(text, f), { arch: 'amd64', caps: effectiveCaps(sec), kernel: [6, 1] })
 */
export function planSeccomp(p: SeccompProfile, t: SeccompTarget): string {
  const dflt = actionToken(p.defaultAction, p.defaultErrnoRet);
  const out = ['conductor-seccomp 1', `default ${dflt}`, ...filterArches(p, t.arch).map((a) => `arch ${a}`)];
  for (const rule of p.syscalls) {
    if (!ruleApplies(t, rule.includes, rule.excludes)) continue;
    const act = actionToken(rule.action, rule.errnoRet);
    if (act === dflt) continue;
    const conds = (rule.args ?? []).map((a) => `a${a.index} ${OP[a.op]} ${a.value} ${a.valueTwo ?? 0}`);
    const sameArgTwice = new Set((rule.args ?? []).map((a) => a.index)).size < conds.length;
    const groups = sameArgTwice ? conds.map((c) => [c]) : [conds];
    for (const name of rule.names) for (const g of groups) out.push(['rule', act, name, ...g].join(' '));
  }
  return out.join('\n') + '\n';
}
