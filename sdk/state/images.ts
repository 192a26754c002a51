/** Image records: `.images/<name>/image.json`, naming layers; never a copy of the base. */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { readJson, writeJson } from './files.ts';
import type { ImageInfo } from '../types.ts';

export function imageFile(paths: Paths, name: string): string {
  return path.join(paths.images, name, 'image.json');
}

export function readImage(paths: Paths, name: string): ImageInfo | null {
  return readJson<ImageInfo>(imageFile(paths, name));
}

export function requireImage(paths: Paths, name: string): ImageInfo {
  const img = readImage(paths, name);
  if (!img)
    throw new ConductorError('IMAGE_NOT_FOUND', `image "${name}" does not exist`, { hint: 'see `conductor images`' });
  return img;
}

export function writeImage(paths: Paths, img: ImageInfo): void {
  writeJson(imageFile(paths, img.name), img);
}

export function deleteImageRecord(paths: Paths, name: string): void {
  rmSync(path.join(paths.images, name), { recursive: true, force: true });
}

export function listImages(paths: Paths): ImageInfo[] {
  let names: string[] = [];
  try {
    names = readdirSync(paths.images).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
  return names
    .sort()
    .map((n) => readImage(paths, n))
    .filter((i): i is ImageInfo => i !== null);
}
