/**
 * Docker's seccomp profile format (moby profiles/seccomp, also podman's containers/common), parsed
 * strictly: a profile that would be misread is refused with one line naming the file and the field,
 * rather than half-applied. A typo in a field name is an error too: silently ignoring `"nmes"` in a
 * deny rule would leave the syscall allowed.
 */
import { ConductorError } from '../../errors.ts';

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG';

export type SeccompOp =
  'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOp;
}

/** A rule applies only when every `includes` condition holds and no `excludes` one does. */
export interface SeccompFilter {
  /** Capability names ("CAP_SYS_ADMIN"): includes = all held, excludes = any held. */
  caps?: string[];
  /** Native architecture names as Docker spells them ("amd64", "arm64", "s390x"). */
  arches?: string[];
  /** "major.minor" of the running kernel. */
  minKernel?: string;
}

export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  /** For SCMP_ACT_ERRNO / SCMP_ACT_TRACE; EPERM when absent. */
  errnoRet?: number;
  args?: SeccompArg[];
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
  comment?: string;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  /** libseccomp architecture names ("SCMP_ARCH_X86_64"); or archMap, never both. */
  architectures?: string[];
  archMap?: Array<{ architecture: string; subArchitectures: string[] }>;
  syscalls: SeccompRule[];
}

const ACTIONS = new Set<string>([
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
]);
const OPS = new Set<string>([
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
]);

/**
 * Errno names podman's profiles may give instead of numbers ("errno": "EPERM"); the numbers of
 * asm-generic, which x86, arm and riscv share (mips and alpha differ: use errnoRet there).
 */
const ERRNO: Record<string, number> = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  ENOSYS: 38,
  ENOTSOCK: 88,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  ENOTSUP: 95,
  EAFNOSUPPORT: 97,
};

type Json = Record<string, unknown>;

/**
 * Parse and check a profile's text. `source` names it in errors (a file path, or "the default profile").
 * @example
 * parseSeccompProfile('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}', 'p.json').defaultAction // 'SCMP_ACT_ALLOW'
 */
export function parseSeccompProfile(text: string, source: string): SeccompProfile {
  const fail = (what: string, hint?: string): never => {
    throw new ConductorError('PARSE_ERROR', `seccomp profile "${source}": ${what}`, hint ? { hint } : {});
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`, "it must be a profile in Docker's format");
  }
  const obj = (v: unknown, where: string, keys: string[]): Json => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${where} must be an object`);
    const unknown = Object.keys(v as Json).find((k) => !keys.includes(k));
    if (unknown !== undefined) fail(`unknown field "${unknown}" in ${where}`, `known fields: ${keys.join(', ')}`);
    return v as Json;
  };
  const strings = (v: unknown, where: string): string[] => {
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string' || s === '')) fail(`${where} must be a list of names`);
    return v as string[];
  };
  const uint = (v: unknown, where: string, max = Number.MAX_SAFE_INTEGER): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max)
      fail(`${where} must be an integer from 0 to ${max}`);
    return v as number;
  };
  const action = (v: unknown, where: string): SeccompAction => {
    if (v === 'SCMP_ACT_NOTIFY') fail(`${where} SCMP_ACT_NOTIFY is not supported (conductor has no seccomp agent)`);
    if (typeof v !== 'string' || !ACTIONS.has(v))
      fail(`unknown action ${JSON.stringify(v)} in ${where}`, `actions: ${[...ACTIONS].join(', ')}`);
    return v as SeccompAction;
  };
  // podman's "errno" name wins over the numeric errnoRet, as in containers/common.
  const errnoOf = (name: unknown, ret: unknown, where: string): number | undefined => {
    if (name !== undefined && name !== '') {
      if (typeof name !== 'string') return fail(`${where}.errno must be a name such as "EPERM"`);
      if (/^\d+$/.test(name)) return uint(Number(name), `${where}.errno`, 4095);
      if (!(name in ERRNO)) return fail(`unknown errno "${name}" in ${where}`, 'use errnoRet with the number');
      return ERRNO[name];
    }
    return ret === undefined ? undefined : uint(ret, `${where}.errnoRet`, 4095);
  };
  const filter = (v: unknown, where: string): SeccompFilter | undefined => {
    if (v === undefined || v === null) return undefined;
    const f = obj(v, where, ['caps', 'arches', 'minKernel']);
    const out: SeccompFilter = {};
    if (f.caps !== undefined && f.caps !== null) out.caps = strings(f.caps, `${where}.caps`);
    if (f.arches !== undefined && f.arches !== null) out.arches = strings(f.arches, `${where}.arches`);
    if (f.minKernel !== undefined && f.minKernel !== '') {
      if (typeof f.minKernel !== 'string' || !/^\d+\.\d+$/.test(f.minKernel))
        fail(`${where}.minKernel must be "major.minor", e.g. "4.8"`);
      out.minKernel = f.minKernel as string;
    }
    return Object.keys(out).length ? out : undefined;
  };

  const top = obj(doc, 'the profile', [
    'defaultAction',
    'defaultErrnoRet',
    'defaultErrno',
    'architectures',
    'archMap',
    'flags',
    'syscalls',
  ]);
  if (top.defaultAction === undefined) fail('"defaultAction" is missing', 'e.g. "defaultAction": "SCMP_ACT_ERRNO"');
  const profile: SeccompProfile = { defaultAction: action(top.defaultAction, 'defaultAction'), syscalls: [] };
  const dflt = errnoOf(top.defaultErrno, top.defaultErrnoRet, 'the profile');
  if (dflt !== undefined) profile.defaultErrnoRet = dflt;
  if (top.architectures !== undefined && top.archMap !== undefined)
    fail('both "architectures" and "archMap" are given', 'use one of them');
  if (top.architectures !== undefined && top.architectures !== null)
    profile.architectures = strings(top.architectures, 'architectures');
  if (top.archMap !== undefined && top.archMap !== null) {
    if (!Array.isArray(top.archMap)) fail('archMap must be a list');
    profile.archMap = (top.archMap as unknown[]).map((a, i) => {
      const m = obj(a, `archMap[${i}]`, ['architecture', 'subArchitectures']);
      if (typeof m.architecture !== 'string') fail(`archMap[${i}].architecture must be a name`);
      return {
        architecture: m.architecture as string,
        subArchitectures:
          m.subArchitectures == null ? [] : strings(m.subArchitectures, `archMap[${i}].subArchitectures`),
      };
    });
  }
  // The only flag that changes nothing for a single-threaded helper; the others alter what the
  // kernel does and are not implemented, so they are refused rather than dropped.
  if (top.flags !== undefined && top.flags !== null) {
    const bad = strings(top.flags, 'flags').find((f) => f !== 'SECCOMP_FILTER_FLAG_TSYNC');
    if (bad !== undefined) fail(`flag "${bad}" is not supported`, 'remove it from "flags"');
  }
  if (top.syscalls !== undefined && top.syscalls !== null && !Array.isArray(top.syscalls))
    fail('syscalls must be a list');
  ((top.syscalls ?? []) as unknown[]).forEach((raw, i) => {
    const where = `syscalls[${i}]`;
    const s = obj(raw, where, [
      'name',
      'names',
      'action',
      'errnoRet',
      'errno',
      'args',
      'includes',
      'excludes',
      'comment',
    ]);
    if (s.name !== undefined && s.names !== undefined) fail(`${where} has both "name" and "names"`, 'use "names"');
    const names = s.name !== undefined ? strings([s.name], `${where}.name`) : strings(s.names, `${where}.names`);
    const rule: SeccompRule = { names, action: action(s.action, `${where}.action`) };
    const errno = errnoOf(s.errno, s.errnoRet, where);
    if (errno !== undefined) rule.errnoRet = errno;
    if (s.args !== undefined && s.args !== null) {
      if (!Array.isArray(s.args)) fail(`${where}.args must be a list`);
      rule.args = (s.args as unknown[]).map((a, j) => {
        const w = `${where}.args[${j}]`;
        const o = obj(a, w, ['index', 'value', 'valueTwo', 'op']);
        if (typeof o.op !== 'string' || !OPS.has(o.op))
          fail(`unknown operator ${JSON.stringify(o.op)} in ${w}`, `operators: ${[...OPS].join(', ')}`);
        const arg: SeccompArg = {
          index: uint(o.index, `${w}.index`, 5),
          value: uint(o.value ?? 0, `${w}.value`),
          op: o.op as SeccompOp,
        };
        if (o.valueTwo !== undefined) arg.valueTwo = uint(o.valueTwo, `${w}.valueTwo`);
        return arg;
      });
      if (rule.args.length === 0) delete rule.args;
    }
    const inc = filter(s.includes, `${where}.includes`);
    const exc = filter(s.excludes, `${where}.excludes`);
    if (inc) rule.includes = inc;
    if (exc) rule.excludes = exc;
    if (typeof s.comment === 'string' && s.comment) rule.comment = s.comment;
    profile.syscalls.push(rule);
  });
  return profile;
}
