/**
 * Pure parsing and validation of mount requests: Docker's `-v`, `--mount` and `--tmpfs` syntax to
 * `Mount` records, and the rules every mount must satisfy before anything is created. No fs here:
 * host checks (does the source exist, is it the state root) live in resolve-mounts.ts.
 */
import path from 'node:path';
import { ConductorError } from '../errors.ts';
import { isValidName } from '../names.ts';
import type { Mount } from '../types.ts';

const bad = (what: string, hint?: string) => new ConductorError('INVALID_ARGUMENT', what, hint ? { hint } : {});

/** Targets that belong to conductor's own setup (the kernel's filesystems and the minimal /dev). */
const RESERVED_TARGETS = ['/proc', '/sys', '/dev'];

/** tmpfs options conductor passes on (sizes like 64m, 10%; octal modes); nothing else reaches the kernel. */
const TMPFS_OPTION = /^(size=\d+[kmg%]?|nr_inodes=\d+[kmg]?|mode=[0-7]{3,4})$/;

/** Docker's default for --tmpfs is "half of RAM"; a container must not be able to fill memory, so 64m. */
export const DEFAULT_TMPFS_SIZE = 'size=64m';

/**
 * `-v SOURCE:TARGET[:ro|:rw]`. SOURCE starting with `/` is a host path (bind), a valid name is a
 * named volume; anything else (`./data`, `data/x`) is a relative host path and refused.
 * @example
 * parseVolumeFlag('data:/var/lib/app:ro') // {type:'volume', source:'data', target:'/var/lib/app', readonly:true}
 */
export function parseVolumeFlag(spec: string): Mount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw bad(`invalid volume spec "${spec}"`, 'use HOST_PATH:CONTAINER_PATH[:ro|rw] or NAME:CONTAINER_PATH[:ro|rw]');
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  const opts = (mode ?? 'rw').split(',');
  let readonly = false;
  const options: string[] = [];
  for (const o of opts) {
    if (o === 'ro') readonly = true;
    else if (o === 'rw') readonly = false;
    else if (o === 'noexec' || o === 'nocopy') options.push(o);
    else throw bad(`invalid volume option "${o}" in "${spec}"`, 'use ro, rw, noexec or nocopy');
  }
  const type = source.startsWith('/') ? 'bind' : 'volume';
  return validateMount({ type, source, target, readonly, ...(options.length ? { options } : {}) });
}

/**
 * `--tmpfs PATH[:size=64m,mode=1777,noexec]`.
 * @example parseTmpfsFlag('/run:size=8m') // {type:'tmpfs', target:'/run', options:['size=8m']}
 */
export function parseTmpfsFlag(spec: string): Mount {
  const i = spec.indexOf(':');
  const target = i < 0 ? spec : spec.slice(0, i);
  const rest = i < 0 ? [] : spec.slice(i + 1).split(',');
  let readonly = false;
  const options: string[] = [];
  for (const o of rest) {
    if (o === 'ro') readonly = true;
    else if (o === 'rw') readonly = false;
    else if (o !== '') options.push(o);
  }
  return validateMount({ type: 'tmpfs', target, readonly, options });
}

/**
 * `--mount type=bind|volume|tmpfs,source=...,target=...[,readonly][,tmpfs-size=64m][,tmpfs-mode=1777]`
 * (Docker's keys: src/source, dst/destination/target, ro/readonly[=true|false], volume-nocopy).
 * @example
 * parseMountFlag('type=volume,source=data,target=/var/lib/app,readonly');
 * // { type: 'volume', source: 'data', target: '/var/lib/app', readonly: true }
 */
export function parseMountFlag(spec: string): Mount {
  let type: string | undefined;
  let source: string | undefined;
  let target: string | undefined;
  let readonly = false;
  const options: string[] = [];
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const k = eq < 0 ? field : field.slice(0, eq);
    const v = eq < 0 ? undefined : field.slice(eq + 1);
    const need = () => {
      if (!v) throw bad(`--mount "${spec}": "${k}" needs a value`);
      return v;
    };
    if (k === 'type') type = need();
    else if (k === 'source' || k === 'src') source = need();
    else if (k === 'target' || k === 'dst' || k === 'destination') target = need();
    else if (k === 'readonly' || k === 'ro') {
      if (v !== undefined && !['true', 'false', '1', '0'].includes(v))
        throw bad(`--mount "${spec}": readonly must be true or false`);
      readonly = v === undefined || v === 'true' || v === '1';
    } else if (k === 'tmpfs-size') options.push(`size=${need()}`);
    else if (k === 'tmpfs-mode') options.push(`mode=${need()}`);
    else if (k === 'volume-nocopy' && (v === undefined || v === 'true')) options.push('nocopy');
    else if (k === 'noexec' && v === undefined) options.push('noexec');
    else
      throw bad(
        `--mount "${spec}": unknown field "${field}"`,
        'use type, source, target, readonly, tmpfs-size, tmpfs-mode, volume-nocopy, noexec',
      );
  }
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs')
    throw bad(`--mount "${spec}": type must be bind, volume or tmpfs`);
  if (target === undefined) throw bad(`--mount "${spec}": missing target`);
  return validateMount({
    type,
    ...(source === undefined ? {} : { source }),
    target,
    readonly,
    ...(options.length ? { options } : {}),
  });
}

/** Absolute, normalised, and not one of the paths conductor sets up itself. */
export function validateTarget(target: string): string {
  if (!target.startsWith('/')) throw bad(`mount target "${target}" must be an absolute path`);
  if (target.split('/').includes('..')) throw bad(`mount target "${target}" must not contain ".."`);
  if (/[\0\n]/.test(target)) throw bad(`mount target ${JSON.stringify(target)} contains a NUL or newline`);
  const t = path.posix.normalize(target).replace(/(.)\/$/, '$1');
  if (t === '/')
    throw bad('mount target "/" is refused: it would hide the whole image', 'use --read-only for a read-only root');
  const reserved = RESERVED_TARGETS.find((r) => t === r || t.startsWith(`${r}/`));
  if (reserved) throw bad(`mount target "${t}" is refused: ${reserved} is set up by conductor`);
  return t;
}

/**
 * Check one mount and return it normalised (a copy, with defaults filled in). Pure: the host-side
 * checks of a bind source come later (resolveMounts).
 * @example validateMount({ type: 'tmpfs', target: '/run' }); // its options get the default size=64m
 */
export function validateMount(m: Mount): Mount {
  const target = validateTarget(m.target);
  const options = [...(m.options ?? [])];
  const flags = ['noexec', ...(m.type === 'volume' ? ['nocopy'] : [])];
  for (const o of options) {
    if (flags.includes(o)) continue;
    if (m.type === 'tmpfs' && TMPFS_OPTION.test(o)) continue;
    throw bad(
      `invalid ${m.type} mount option "${o}" for "${target}"`,
      m.type === 'tmpfs' ? 'use size=N[kmg%], mode=OCTAL, nr_inodes=N or noexec' : `use ${flags.join(' or ')}`,
    );
  }
  if (m.type === 'tmpfs') {
    if (m.source !== undefined && m.source !== '')
      throw bad(`a tmpfs mount takes no source (got "${m.source}" for "${target}")`);
    if (!options.some((o) => o.startsWith('size='))) options.unshift(DEFAULT_TMPFS_SIZE);
    return { type: 'tmpfs', target, readonly: Boolean(m.readonly), options };
  }
  const source = m.source ?? '';
  if (m.type === 'bind') {
    if (!source.startsWith('/'))
      throw bad(
        `bind source "${source}" must be an absolute host path`,
        'relative host paths are refused; write it out in full',
      );
    if (/[\0\n]/.test(source)) throw bad(`bind source ${JSON.stringify(source)} contains a NUL or newline`);
  } else if (source.includes('/') || source === '.' || source === '..') {
    throw bad(`relative host path "${source}" is refused`, 'write the bind source as an absolute path');
  } else if (!isValidName(source)) {
    throw new ConductorError('INVALID_NAME', `invalid volume name ${JSON.stringify(source)}`, {
      hint: 'use 1-63 characters from [a-zA-Z0-9_.-], starting with a letter or digit',
    });
  }
  return {
    type: m.type,
    source: m.type === 'bind' ? path.posix.normalize(source).replace(/(.)\/$/, '$1') : source,
    target,
    readonly: Boolean(m.readonly),
    ...(options.length ? { options } : {}),
  };
}

/**
 * Every mount valid, and no two on the same target (Docker: "Duplicate mount point").
 * @example validateMounts([parseVolumeFlag('data:/srv'), parseTmpfsFlag('/srv')]); // throws INVALID_ARGUMENT
 */
export function validateMounts(mounts: readonly Mount[]): Mount[] {
  const out = mounts.map(validateMount);
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.target)) throw bad(`duplicate mount target "${m.target}"`);
    seen.add(m.target);
  }
  return out;
}
