/** inspectImage: an image's config, layers (with sizes and the instruction that made each) and base. */
import { resolvePaths, type CommonOptions } from '../config.ts';
import { validateName } from '../names.ts';
import { requireImage } from '../state/images.ts';
import type { ImageConfig, ImageHistoryEntry } from '../types.ts';
import { defaultImageConfig } from './image-config.ts';
import { readLayer } from './layers.ts';

export interface ImageLayerInfo {
  id: string;
  size: number;
  instruction: string;
}

export interface ImageInspectInfo {
  name: string;
  /** `sha256:...`; null for images built before conductor recorded one. */
  id: string | null;
  /** `debian:bookworm`: the debootstrap base under every layer. */
  base: string;
  /** The local image it was built FROM, if any. */
  parent: string | null;
  createdAt: string;
  size: number;
  /** The base's defaults for images built before conductor recorded a config. */
  config: ImageConfig;
  layers: ImageLayerInfo[];
  /** Every instruction, oldest first; metadata-only ones have no layer. */
  history: ImageHistoryEntry[];
}

/**
 * @example
 * const { config, layers } = await inspectImage('counter-service');
 * console.log(config.cmd, layers.map((l) => `${l.instruction}: ${l.size}`));
 */
export async function inspectImage(name: string, opts: CommonOptions = {}): Promise<ImageInspectInfo> {
  validateName('image', name);
  const paths = resolvePaths(opts.root);
  const img = requireImage(paths, name);
  const layers = img.layers.map((id) => {
    const l = readLayer(paths, id);
    return { id, size: l?.size ?? 0, instruction: l?.instruction ?? '' };
  });
  return {
    name: img.name,
    id: img.id ?? null,
    base: `${img.base.distro}:${img.base.suite}`,
    parent: img.parent ?? null,
    createdAt: img.createdAt,
    size: img.size,
    config: img.config ?? defaultImageConfig(),
    layers,
    history: img.history ?? layers.map((l) => ({ instruction: l.instruction, layer: l.id })),
  };
}
