/**
 * What an unpacked archive says, pure: its format (OCI layout or docker-archive), the manifest
 * for this machine's platform, the config, and each layer's member name with the digests it must
 * have. Reads go through `read` (a member's bytes), so the rules are tested without files.
 */
import { ConductorError } from '../../errors.ts';
import { MEDIA, sha256 } from './image-json.ts';

export interface PlannedLayer {
  /** Archive member holding the blob. */
  member: string;
  /** sha256 of the blob as stored (OCI: the descriptor's digest; docker-archive: none given). */
  digest?: string;
  size?: number;
  /** sha256 of the uncompressed tar (config rootfs.diff_ids). */
  diffId: string;
}

export interface PlannedImport {
  format: 'oci' | 'docker';
  /** The manifest's digest (OCI layouts). */
  digest?: string;
  config: Record<string, unknown>;
  layers: PlannedLayer[];
  /** `created_by` of each layer that is not an empty one, bottom first. */
  history: string[];
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function bad(where: string, why: string): ConductorError {
  return new ConductorError('INVALID_ARCHIVE', `${where}: ${why}; nothing was imported`, {
    hint: 'export it again (podman save, conductor export)',
  });
}

export function checkedDigest(where: string, d: unknown): string {
  if (typeof d !== 'string' || !DIGEST.test(d))
    throw bad(where, `unsupported digest ${JSON.stringify(d)} (sha256 only)`);
  return d;
}

/** A blob's bytes must hash to its digest (and have its size): the check every blob gets. */
export function verifyBlob(where: string, bytes: Buffer, digest: string, size?: number): void {
  const got = sha256(bytes);
  if (got !== digest) {
    throw new ConductorError(
      'DIGEST_MISMATCH',
      `${where}: blob ${digest.slice(0, 19)} hashes to ${got.slice(0, 19)}; nothing was imported`,
      { hint: 'the archive is damaged or was altered' },
    );
  }
  if (size !== undefined && bytes.length !== size)
    throw bad(where, `blob ${digest.slice(0, 19)} is ${bytes.length} bytes, not ${size}`);
}

function parse(where: string, what: string, b: Buffer): Record<string, unknown> {
  try {
    const v = JSON.parse(b.toString('utf8')) as unknown;
    if (v && typeof v === 'object') return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw bad(where, `${what} is not valid JSON`);
}

const blobMember = (d: string) => `blobs/sha256/${d.slice(7)}`;

interface Desc {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { architecture?: string; os?: string };
}

function descriptor(where: string, v: unknown): Desc {
  const d = (v ?? {}) as Record<string, unknown>;
  return {
    mediaType: typeof d.mediaType === 'string' ? d.mediaType : undefined,
    digest: checkedDigest(where, d.digest),
    size: typeof d.size === 'number' ? d.size : undefined,
    platform: d.platform as Desc['platform'],
  };
}

function diffIdsOf(where: string, config: Record<string, unknown>): string[] {
  const ids = (config.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
  if (!Array.isArray(ids)) throw bad(where, 'the config has no rootfs.diff_ids');
  return ids.map((d) => checkedDigest(where, d));
}

function historyOf(config: Record<string, unknown>): string[] {
  const h = Array.isArray(config.history) ? (config.history as Record<string, unknown>[]) : [];
  return h.filter((x) => x && !x.empty_layer).map((x) => (typeof x.created_by === 'string' ? x.created_by : ''));
}

/**
 * Plan the import of an unpacked archive.
 *
 * @example
 * planImport('x.tar', (m) => files[m] ?? null, 'amd64');
 */
export function planImport(where: string, read: (member: string) => Buffer | null, arch: string): PlannedImport {
  const index = read('index.json');
  if (index) {
    let desc = pickManifest(where, parse(where, 'index.json', index), arch);
    let manifestBytes = readBlob(where, read, desc);
    let manifest = parse(where, 'the manifest', manifestBytes);
    // A multi-platform image: index.json names an index, which names the manifests.
    for (
      let depth = 0;
      (manifest.mediaType === MEDIA.index || Array.isArray(manifest.manifests)) && depth < 4;
      depth++
    ) {
      desc = pickManifest(where, manifest, arch);
      manifestBytes = readBlob(where, read, desc);
      manifest = parse(where, 'the manifest', manifestBytes);
    }
    const configDesc = descriptor(where, manifest.config);
    const config = parse(where, 'the config', readBlob(where, read, configDesc));
    const diffIds = diffIdsOf(where, config);
    const layers = Array.isArray(manifest.layers) ? manifest.layers.map((l) => descriptor(where, l)) : [];
    if (layers.length !== diffIds.length)
      throw bad(where, `the manifest has ${layers.length} layers, the config ${diffIds.length} diff_ids`);
    return {
      format: 'oci',
      digest: desc.digest,
      config,
      layers: layers.map((l, i) => ({
        member: blobMember(l.digest),
        digest: l.digest,
        size: l.size,
        diffId: diffIds[i]!,
      })),
      history: historyOf(config),
    };
  }
  const dm = read('manifest.json');
  if (!dm) throw bad(where, 'neither index.json (OCI) nor manifest.json (docker-archive) is in it');
  let list: unknown;
  try {
    list = JSON.parse(dm.toString('utf8'));
  } catch {
    throw bad(where, 'manifest.json is not valid JSON');
  }
  if (!Array.isArray(list) || list.length === 0) throw bad(where, 'manifest.json lists no image');
  if (list.length > 1) throw bad(where, `manifest.json lists ${list.length} images (import takes one)`);
  const m = list[0] as { Config?: unknown; Layers?: unknown };
  if (typeof m.Config !== 'string' || !Array.isArray(m.Layers) || !m.Layers.every((l) => typeof l === 'string'))
    throw bad(where, 'manifest.json has no Config or Layers');
  const configBytes = read(m.Config);
  if (!configBytes) throw bad(where, `the config "${m.Config}" is missing`);
  // docker-archive names the config by its digest (`<hex>.json` or blobs/sha256/<hex>).
  const hex = /([0-9a-f]{64})(\.json)?$/.exec(m.Config)?.[1];
  if (hex) verifyBlob(where, configBytes, `sha256:${hex}`);
  const config = parse(where, 'the config', configBytes);
  const diffIds = diffIdsOf(where, config);
  const members = m.Layers as string[];
  if (members.length !== diffIds.length)
    throw bad(where, `manifest.json has ${members.length} layers, the config ${diffIds.length} diff_ids`);
  return {
    format: 'docker',
    config,
    layers: members.map((member, i) => ({ member, diffId: diffIds[i]! })),
    history: historyOf(config),
  };
}

function pickManifest(where: string, index: Record<string, unknown>, arch: string): Desc {
  const ms = Array.isArray(index.manifests) ? index.manifests.map((d) => descriptor(where, d)) : [];
  if (ms.length === 0) throw bad(where, 'the index lists no manifest');
  const forUs = ms.filter((d) => !d.platform || (d.platform.os === 'linux' && d.platform.architecture === arch));
  if (forUs.length === 0) {
    const has = ms.map((d) => `${d.platform?.os}/${d.platform?.architecture}`).join(', ');
    throw bad(where, `no manifest for linux/${arch} (it has ${has})`);
  }
  return forUs[0]!;
}

function readBlob(where: string, read: (member: string) => Buffer | null, d: Desc): Buffer {
  const b = read(blobMember(d.digest));
  if (!b) throw bad(where, `blob ${d.digest.slice(0, 19)} is missing`);
  verifyBlob(where, b, d.digest, d.size);
  return b;
}
