/**
 * FROM <registry reference>: the image is pulled once into the layer store; the reference's
 * resolution (its manifest digest and layer ids) is remembered in `.layers/.refs/<hash>.json`,
 * so later builds use the stored layers without the network until `--pull` asks again (podman's
 * "missing" policy). A resolution whose layers were removed since is pulled again.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../../config.ts';
import { readJson, writeJson } from '../../state/files.ts';
import { layerDir } from '../layers.ts';
import type { StoredImage } from './import.ts';
import { pullLayers, qualified, type RegistryOptions } from './registry.ts';

export interface FromRegistryOptions extends RegistryOptions {
  /** Pull even when the reference was pulled before (`build --pull`). */
  pull?: boolean;
}

function refFile(paths: Paths, full: string): string {
  return path.join(paths.layers, '.refs', `${createHash('sha256').update(full).digest('hex')}.json`);
}

/** The stored resolution of a reference pulled before, with every layer still present; else null (no pull). */
export function storedRegistryImage(paths: Paths, ref: string): StoredImage | null {
  const known = readJson<StoredImage>(refFile(paths, qualified(ref)));
  const complete =
    known !== null &&
    Array.isArray(known.layers) &&
    known.layers.every((id) => existsSync(path.join(layerDir(paths, id), 'layer.json')));
  return complete ? known : null;
}

/**
 * The stored layers and config of a registry image, pulling it if needed.
 *
 * @example
 * const { layers } = await registryBase(paths, '127.0.0.1:5000/team/base:1', { tlsVerify: false });
 */
export async function registryBase(
  paths: Paths,
  ref: string,
  opts: FromRegistryOptions = {},
): Promise<StoredImage & { ref: string }> {
  const full = qualified(ref);
  const file = refFile(paths, full);
  const known = opts.pull ? null : storedRegistryImage(paths, ref);
  if (known) {
    opts.log?.info(` ---> Using ${full}${known.digest ? ` (${known.digest.slice(0, 19)})` : ''}`);
    return { ...known, ref: full };
  }
  const stored = await pullLayers(paths, full, opts);
  writeJson(file, stored);
  opts.log?.info(` ---> ${full}${stored.digest ? ` (${stored.digest.slice(0, 19)})` : ''}`);
  return { ...stored, ref: full };
}
