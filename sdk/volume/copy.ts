/**
 * cp between the host and a running container, as `docker cp` (CVE-2018-15664, CVE-2019-14271).
 *
 * The container's side of a copy runs INSIDE the container: its own tar, started through exec,
 * with the container's namespaces, root, capabilities, seccomp filter and cgroups. Container
 * paths, and every symlink in them, are therefore resolved by the kernel against the container's
 * root, however the container swaps them meanwhile; no conductor process ever looks a container
 * path up from the host, and no container library is ever loaded by a host process. The host's
 * side is conductor's own code: tar-write.ts packs host files, tar-read.ts unpacks the (hostile)
 * stream the container sends, refusing anything that would leave the destination.
 */
import { lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { ConductorError } from '../errors.ts';
import { execInContainer } from '../container/exec.ts';
import type { CommonOptions } from '../config.ts';
import { packHostPath } from './tar-write.ts';
import { unpackToHost } from './tar-read.ts';

export interface CopyOptions extends CommonOptions {
  /** Keep owners (uid/gid) as they are (`docker cp -a`); modes and times are always kept. */
  archive?: boolean;
}

/** Container paths are relative to the container's root, as in docker cp. Pure. */
export function containerPath(p: string): string {
  if (p === '' || p.includes('\0'))
    throw new ConductorError('INVALID_ARGUMENT', `invalid container path ${JSON.stringify(p)}`);
  return path.posix.join('/', p) + (p.endsWith('/') && p !== '/' ? '/' : '');
}

function failed(what: string, name: string, stderr: string): ConductorError {
  const why = stderr.trim().split('\n').filter(Boolean).pop() ?? 'failed';
  return new ConductorError('COMMAND_FAILED', `cp ${what} container "${name}": ${why.replace(/^tar: /, '')}`);
}

/** 'dir' | 'file' | 'none', asked of the container itself (its sh resolves the path in its root). */
async function containerKind(name: string, p: string, opts: CommonOptions): Promise<'dir' | 'file' | 'none'> {
  const r = await execInContainer(
    name,
    [
      '/bin/sh',
      '-c',
      'if [ -d "$1" ]; then echo dir; elif [ -e "$1" ] || [ -L "$1" ]; then echo file; else echo none; fi',
      'sh',
      p,
    ],
    { root: opts.root, workdir: '/' },
  );
  const kind = r.stdout.trim();
  if (r.exitCode !== 0 || !['dir', 'file', 'none'].includes(kind))
    throw failed('into', name, r.stderr || 'cannot run /bin/sh in the container');
  return kind as 'dir' | 'file' | 'none';
}

/**
 * Copy a host file or directory (or a tar stream) into a running container.
 * @example await copyTo('web1', './site', '/var/www/'); // → /var/www/site
 */
export async function copyTo(name: string, src: string | Readable, dst: string, opts: CopyOptions = {}): Promise<void> {
  const to = containerPath(dst);
  let dir: string;
  let stream: Readable;
  if (typeof src !== 'string') {
    // A tar stream (`cp - c:/dir`): unpacked as is into an existing directory, by the container's tar.
    if ((await containerKind(name, to, opts)) !== 'dir')
      throw new ConductorError(
        'INVALID_ARGUMENT',
        `destination "${dst}" in container "${name}" must be an existing directory for a tar stream`,
      );
    dir = to;
    stream = src;
  } else {
    const host = path.resolve(src);
    let st;
    try {
      st = lstatSync(host.replace(/\/\.$/, '') || '/');
    } catch {
      throw new ConductorError('INVALID_ARGUMENT', `source "${src}" does not exist`);
    }
    const kind = await containerKind(name, to, opts);
    if (to.endsWith('/') && kind !== 'dir')
      throw new ConductorError(
        'INVALID_ARGUMENT',
        `destination directory "${dst}" does not exist in container "${name}"`,
      );
    if (st.isDirectory() && kind === 'file')
      throw new ConductorError(
        'INVALID_ARGUMENT',
        `cannot copy directory "${src}" over file "${dst}" in container "${name}"`,
      );
    const intoDir = kind === 'dir';
    dir = intoDir ? to : path.posix.dirname(to);
    // `src/.`: the directory's contents; otherwise the entry itself, named as docker cp would.
    const contents = /\/\.$/.test(src) && intoDir;
    const top = intoDir ? path.basename(host) || '.' : path.posix.basename(to);
    stream = contents
      ? packHostPath(host.replace(/\/\.$/, ''), '.', { keepOwners: opts.archive })
      : packHostPath(host, top, { keepOwners: opts.archive });
  }
  // The container's tar runs as the container's root: --same-owner keeps the archive's owners
  // (root's unless -a), --no-overwrite-dir keeps an existing directory's own mode.
  const r = await execInContainer(
    name,
    ['tar', '-x', '-f', '-', '--same-owner', '--same-permissions', '--no-overwrite-dir', '-C', dir],
    { root: opts.root, workdir: '/', input: stream },
  );
  if (r.exitCode !== 0) throw failed('into', name, r.stderr || `tar exited with ${r.exitCode}`);
}

/**
 * Copy a file or directory out of a running container onto the host, or as a tar stream (`dst` a Writable).
 * @example await copyFrom('db1', '/var/lib/app', './backup'); // → ./backup (a new directory) or ./backup/app
 */
export async function copyFrom(
  name: string,
  src: string,
  dst: string | Writable,
  opts: CopyOptions = {},
): Promise<void> {
  const from = containerPath(src);
  const contents = /\/\.$/.test(src) || from === '/';
  const clean = from.replace(/\/\.?$/, '') || '/';
  const cwd = contents ? clean : path.posix.dirname(clean);
  const top = contents ? '.' : path.posix.basename(clean);
  const tarArgv = ['tar', '-c', '-f', '-', '-C', cwd, '--', top];
  if (typeof dst !== 'string') {
    const r = await execInContainer(name, tarArgv, { root: opts.root, workdir: '/', stdout: dst });
    if (r.exitCode !== 0) throw failed('from', name, r.stderr || `tar exited with ${r.exitCode}`);
    return;
  }
  const host = path.resolve(dst);
  let destDir: string;
  let as: string;
  const st = (() => {
    try {
      return statSync(host);
    } catch {
      return null;
    }
  })();
  if (st?.isDirectory()) {
    destDir = host;
    as = top;
  } else {
    if (dst.endsWith('/'))
      throw new ConductorError('INVALID_ARGUMENT', `destination directory "${dst}" does not exist`);
    destDir = path.dirname(host);
    as = path.basename(host);
    if (!statSync(destDir, { throwIfNoEntry: false })?.isDirectory())
      throw new ConductorError('INVALID_ARGUMENT', `destination "${dst}": its directory does not exist`);
  }
  const pipe = new PassThrough();
  const unpacked = unpackToHost(pipe, destDir, {
    top,
    as,
    keepOwners: opts.archive,
    warn: (m) => opts.log?.warn(m),
  }).catch((e: unknown) => {
    pipe.resume(); // drain, so the container's tar can finish and exec return
    throw e;
  });
  const [r, u] = await Promise.allSettled([
    execInContainer(name, tarArgv, { root: opts.root, workdir: '/', stdout: pipe }),
    unpacked,
  ]);
  if (r.status === 'rejected') throw r.reason;
  if (r.value.exitCode !== 0) throw failed('from', name, r.value.stderr || `tar exited with ${r.value.exitCode}`);
  if (u.status === 'rejected') throw u.reason;
}
