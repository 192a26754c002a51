/**
 * The JSON documents of an OCI image layout, pure and deterministic (fixed key order, no clock):
 * the image config, the manifest, index.json, oci-layout and docker's manifest.json
 * (image-spec config.md, manifest.md, image-index.md, image-layout.md; `docker save` ≥ 25).
 */
import { createHash } from 'node:crypto';
import type { ImageConfig, ImageHealthcheck } from '../../types.ts';
import { defaultImageConfig } from '../image-config.ts';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** A layer as exported: the digest of its uncompressed tar and of the blob as stored. */
export interface LayerBlob {
  diffId: string;
  digest: string;
  size: number;
  mediaType: string;
  /** For history: what made it, and when. */
  createdBy: string;
  created: string;
}

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Node's process.arch as GOARCH, which OCI uses. */
export function ociArch(arch: string): string {
  return (
    (
      {
        x64: 'amd64',
        arm64: 'arm64',
        arm: 'arm',
        ia32: '386',
        ppc64: 'ppc64le',
        s390x: 's390x',
        riscv64: 'riscv64',
      } as Record<string, string>
    )[arch] ?? arch
  );
}

const set = (xs: readonly string[]): Record<string, Record<string, never>> | undefined =>
  xs.length ? Object.fromEntries([...xs].sort().map((x) => [x, {}])) : undefined;

const NS_PER_MS = 1_000_000;
const HEALTH_DURATIONS = [
  ['Interval', 'intervalMs'],
  ['Timeout', 'timeoutMs'],
  ['StartPeriod', 'startPeriodMs'],
] as const;

/** Docker's `Healthcheck` (durations in nanoseconds, unset ones omitted, as buildah writes it). */
function dockerHealthcheck(h: ImageHealthcheck): Record<string, unknown> {
  const out: Record<string, unknown> = { Test: [...h.test] };
  for (const [key, field] of HEALTH_DURATIONS) if (h[field]) out[key] = Math.round(h[field] * NS_PER_MS);
  if (h.retries) out.Retries = h.retries;
  return out;
}

/** Docker's `Healthcheck` back; anything malformed (no Test of strings) is dropped, a bad number ignored. */
function fromDockerHealthcheck(v: unknown): ImageHealthcheck | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  const test = strings(r.Test);
  if (!test || !['CMD', 'CMD-SHELL', 'NONE'].includes(test[0] ?? '')) return undefined;
  const out: ImageHealthcheck = { test };
  const positive = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;
  for (const [key, field] of HEALTH_DURATIONS) if (positive(r[key])) out[field] = (r[key] as number) / NS_PER_MS;
  if (positive(r.Retries) && Number.isInteger(r.Retries)) out.retries = r.Retries;
  return out;
}

/** conductor's ImageConfig as OCI's `config` object (absent fields omitted, as docker does). */
export function ociRuntimeConfig(c: ImageConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.user !== undefined) out.User = c.user;
  const ports = set(c.exposedPorts);
  if (ports) out.ExposedPorts = ports;
  out.Env = [...c.env];
  if (c.entrypoint) out.Entrypoint = [...c.entrypoint];
  if (c.cmd) out.Cmd = [...c.cmd];
  if (c.healthcheck) out.Healthcheck = dockerHealthcheck(c.healthcheck);
  const vols = set(c.volumes);
  if (vols) out.Volumes = vols;
  if (c.workdir !== undefined) out.WorkingDir = c.workdir;
  if (Object.keys(c.labels).length)
    out.Labels = Object.fromEntries(
      Object.keys(c.labels)
        .sort()
        .map((k) => [k, c.labels[k]!]),
    );
  if (c.stopSignal !== undefined) out.StopSignal = c.stopSignal;
  return out;
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? [...v] : undefined;
const keys = (v: unknown): string[] => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).sort() : []);

/** OCI's (or docker's) `config` object as conductor's ImageConfig; what is missing takes the defaults. */
export function fromOciRuntimeConfig(o: unknown): ImageConfig {
  const c = defaultImageConfig();
  if (!o || typeof o !== 'object') return c;
  const r = o as Record<string, unknown>;
  const env = strings(r.Env);
  if (env) c.env = env;
  const cmd = strings(r.Cmd);
  if (cmd) c.cmd = cmd;
  const ep = strings(r.Entrypoint);
  if (ep && ep.length) c.entrypoint = ep;
  if (typeof r.WorkingDir === 'string' && r.WorkingDir.startsWith('/')) c.workdir = r.WorkingDir;
  if (typeof r.User === 'string' && r.User !== '') c.user = r.User;
  c.exposedPorts = keys(r.ExposedPorts);
  c.volumes = keys(r.Volumes);
  if (r.Labels && typeof r.Labels === 'object') {
    for (const [k, v] of Object.entries(r.Labels as Record<string, unknown>))
      if (typeof v === 'string') c.labels[k] = v;
  }
  if (typeof r.StopSignal === 'string' && r.StopSignal !== '') c.stopSignal = r.StopSignal;
  const shell = strings(r.Shell);
  if (shell && shell.length) c.shell = shell;
  const health = fromDockerHealthcheck(r.Healthcheck);
  if (health) c.healthcheck = health;
  return c;
}

export interface ImageDocs {
  config: Buffer;
  configDesc: Descriptor;
  manifest: Buffer;
  manifestDesc: Descriptor;
  index: Buffer;
  ociLayout: Buffer;
  dockerManifest: Buffer;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

/**
 * Every document of an export, from the image's config, its layers bottom first, the reference it
 * is named by (`localhost/web:latest`) and the image's creation time.
 */
export function imageDocs(
  cfg: ImageConfig,
  layers: readonly LayerBlob[],
  name: string,
  created: string,
  arch: string,
): ImageDocs {
  const config = json({
    created,
    architecture: arch,
    os: 'linux',
    config: ociRuntimeConfig(cfg),
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created: l.created, created_by: l.createdBy })),
  });
  const configDesc: Descriptor = { mediaType: MEDIA.config, digest: sha256(config), size: config.length };
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: configDesc,
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  });
  const tag = name.slice(name.lastIndexOf(':') + 1);
  const manifestDesc: Descriptor = {
    mediaType: MEDIA.manifest,
    digest: sha256(manifest),
    size: manifest.length,
    annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag },
  };
  const index = json({ schemaVersion: 2, mediaType: MEDIA.index, manifests: [manifestDesc] });
  const blob = (d: string) => `blobs/sha256/${d.slice('sha256:'.length)}`;
  const dockerManifest = json([
    { Config: blob(configDesc.digest), RepoTags: [name], Layers: layers.map((l) => blob(l.digest)) },
  ]);
  return {
    config,
    configDesc,
    manifest,
    manifestDesc,
    index,
    ociLayout: json({ imageLayoutVersion: '1.0.0' }),
    dockerManifest,
  };
}
