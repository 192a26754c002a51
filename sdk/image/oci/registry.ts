/**
 * pullImage / pushImage: registries through skopeo (Debian's `skopeo`), not a registry client of
 * our own. skopeo speaks every registry's auth and protocol quirks and reads credentials where
 * podman keeps them (`${XDG_RUNTIME_DIR}/containers/auth.json`, `~/.docker/config.json`, or
 * REGISTRY_AUTH_FILE). A pull lands in an OCI layout dir (decompressed), then goes through the
 * same checked import as a file; a push copies a conductor export.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { resolvePaths, type CommonOptions, type Paths } from '../../config.ts';
import { ConductorError } from '../../errors.ts';
import { requireRoot } from '../../host/preflight.ts';
import { sh } from '../../host/sh.ts';
import { createLogger, type Logger } from '../../log.ts';
import { validateName } from '../../names.ts';
import type { ImageInfo } from '../../types.ts';
import { exportImage } from './export.ts';
import { importUnpacked, storeUnpacked, workDir, type StoredImage } from './import.ts';
import { defaultLocalName, formatReference, parseReference } from './reference.ts';

const SKOPEO = '/usr/bin/skopeo';

export interface RegistryOptions extends CommonOptions {
  /** false: plain HTTP or an unverified certificate (a local test registry). Default true. */
  tlsVerify?: boolean;
}

export interface PullOptions extends RegistryOptions {
  /** The local image name (default: the reference's last path component). */
  name?: string;
}

function requireSkopeo(): void {
  if (!existsSync(SKOPEO))
    throw new ConductorError('MISSING_TOOL', '"skopeo" is not installed', { hint: 'apt-get install skopeo' });
}

/** `docker.io/library/x` when the text names no registry, as docker and podman resolve it. */
export function qualified(text: string): string {
  const r = parseReference(text);
  if (!r.domain)
    throw new ConductorError('INVALID_ARGUMENT', `reference "${text}" names no registry`, {
      hint: `write it in full, e.g. docker.io/library/${r.path}:${r.tag ?? 'latest'}`,
    });
  return formatReference({ ...r, tag: r.tag ?? (r.digest ? undefined : 'latest') });
}

async function skopeo(args: string[], what: string): Promise<void> {
  const r = await sh([SKOPEO, ...args], { nothrow: true, timeoutMs: 30 * 60_000 });
  if (r.exitCode !== 0) {
    const last = r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.exitCode}`;
    throw new ConductorError(
      'COMMAND_FAILED',
      `${what} failed: ${last.replace(/^time="[^"]*" level=\w+ msg="?/, '').replace(/"$/, '')}`,
    );
  }
}

/** skopeo copies the image, decompressed, into an OCI layout under `work`; returns the layout's path. */
async function fetchLayout(work: string, full: string, opts: RegistryOptions, log: Logger): Promise<string> {
  const layout = path.join(work, 'layout');
  log.step(`Pulling ${full}`);
  const tls = `--src-tls-verify=${opts.tlsVerify !== false}`;
  await skopeo(['copy', '--quiet', tls, '--dest-decompress', `docker://${full}`, `oci:${layout}`], `pull of "${full}"`);
  return layout;
}

/**
 * Pull an image from a registry into the layer store.
 *
 * @example
 * await pullImage('127.0.0.1:5000/bars/x:1', { tlsVerify: false }); // image "x"
 */
export async function pullImage(ref: string, opts: PullOptions = {}): Promise<ImageInfo> {
  const full = qualified(ref);
  const name = validateName('image', opts.name ?? defaultLocalName(parseReference(full)));
  requireRoot();
  requireSkopeo();
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? createLogger();
  const work = workDir(paths);
  try {
    const layout = await fetchLayout(work, full, opts, log);
    return await importUnpacked(
      paths,
      { dir: layout, aliases: new Map() },
      name,
      `image "${full}"`,
      `pull ${full}`,
      log,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Push an image to a registry (uncompressed layers are gzipped by skopeo on the way).
 *
 * @example
 * await pushImage('web', '127.0.0.1:5000/team/web:1', { tlsVerify: false });
 */
export async function pushImage(image: string, ref: string, opts: RegistryOptions = {}): Promise<{ ref: string }> {
  validateName('image', image);
  const full = qualified(ref);
  requireRoot();
  requireSkopeo();
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? createLogger();
  const work = workDir(paths);
  try {
    const file = path.join(work, 'image.tar');
    await exportImage(image, file, { root: opts.root, log, tag: full });
    log.step(`Pushing ${image} to ${full}`);
    await skopeo(
      ['copy', '--quiet', `--dest-tls-verify=${opts.tlsVerify !== false}`, `oci-archive:${file}`, `docker://${full}`],
      `push to "${full}"`,
    );
    return { ref: full };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Pull a registry image's layers into the store without naming an image (FROM in a build): the
 * layers are keyed by their diff_id chain, so a second pull of the same image stores nothing.
 */
export async function pullLayers(paths: Paths, ref: string, opts: RegistryOptions = {}): Promise<StoredImage> {
  const full = qualified(ref);
  requireSkopeo();
  const log = opts.log ?? createLogger();
  const work = workDir(paths);
  try {
    const layout = await fetchLayout(work, full, opts, log);
    return await storeUnpacked(paths, { dir: layout, aliases: new Map() }, `image "${full}"`, log);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
