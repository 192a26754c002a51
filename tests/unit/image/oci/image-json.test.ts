import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromOciRuntimeConfig, imageDocs, ociRuntimeConfig, sha256 } from '../../../../sdk/image/oci/image-json.ts';
import { planImport } from '../../../../sdk/image/oci/layout-plan.ts';
import { defaultImageConfig } from '../../../../sdk/image/image-config.ts';
import { isConductorError } from '../../../../sdk/errors.ts';

const cfg = {
  ...defaultImageConfig(),
  cmd: ['/app', '-v'],
  entrypoint: ['/init'],
  workdir: '/srv',
  user: '42:42',
  exposedPorts: ['8080/tcp'],
  labels: { b: '2', a: '1' },
  stopSignal: 'SIGINT',
  env: ['PATH=/bin', 'MODE=prod'],
  volumes: ['/data'],
};
const layer = {
  diffId: sha256('l1'),
  digest: sha256('l1'),
  size: 2,
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  createdBy: 'debootstrap debian:bookworm',
  created: '2024-01-01T00:00:00.000Z',
};

test('the OCI config carries every ImageConfig field, and reads back to the same ImageConfig', () => {
  const o = ociRuntimeConfig(cfg);
  assert.equal(o, {
    User: '42:42',
    ExposedPorts: { '8080/tcp': {} },
    Env: ['PATH=/bin', 'MODE=prod'],
    Entrypoint: ['/init'],
    Cmd: ['/app', '-v'],
    Volumes: { '/data': {} },
    WorkingDir: '/srv',
    Labels: { a: '1', b: '2' },
    StopSignal: 'SIGINT',
  });
  assert.equal(fromOciRuntimeConfig(o), { ...cfg, labels: { a: '1', b: '2' } });
  assert.equal(fromOciRuntimeConfig(undefined), defaultImageConfig());
});

const imageDocsDeterministicNamesFor =
  'imageDocs: deterministic; names for podman (ref.name, containerd name) and docker (RepoTags); diff_ids and history';
test(imageDocsDeterministicNamesFor, () => {
  const a = imageDocs(cfg, [layer], 'localhost/web:latest', '2024-01-02T00:00:00.000Z', 'amd64');
  const b = imageDocs(cfg, [layer], 'localhost/web:latest', '2024-01-02T00:00:00.000Z', 'amd64');
  assert.equal(a.config, b.config);
  assert.equal(a.index, b.index);
  const config = JSON.parse(a.config.toString());
  assert.equal(config.rootfs, { type: 'layers', diff_ids: [layer.diffId] });
  assert.equal(config.history, [{ created: layer.created, created_by: layer.createdBy }]);
  assert.is(config.created, '2024-01-02T00:00:00.000Z');
  assert.is(config.architecture, 'amd64');
  const index = JSON.parse(a.index.toString());
  assert.equal(index.manifests[0].annotations, {
    'io.containerd.image.name': 'localhost/web:latest',
    'org.opencontainers.image.ref.name': 'latest',
  });
  assert.is(index.manifests[0].digest, sha256(a.manifest));
  const dm = JSON.parse(a.dockerManifest.toString());
  assert.equal(dm[0].RepoTags, ['localhost/web:latest']);
  assert.is(dm[0].Config, `blobs/sha256/${sha256(a.config).slice(7)}`);
});

test('planImport reads an OCI layout and refuses a blob whose bytes do not match its digest', () => {
  const docs = imageDocs(cfg, [layer], 'localhost/web:latest', '2024-01-02T00:00:00.000Z', 'amd64');
  const files: Record<string, Buffer> = {
    'index.json': docs.index,
    [`blobs/sha256/${docs.manifestDesc.digest.slice(7)}`]: docs.manifest,
    [`blobs/sha256/${docs.configDesc.digest.slice(7)}`]: docs.config,
  };
  const plan = planImport('x', (m) => files[m] ?? null, 'amd64');
  assert.is(plan.format, 'oci');
  assert.equal(plan.layers, [
    { member: `blobs/sha256/${layer.digest.slice(7)}`, digest: layer.digest, size: 2, diffId: layer.diffId },
  ]);
  files[`blobs/sha256/${docs.configDesc.digest.slice(7)}`] = Buffer.from(
    docs.config.toString().replace('/srv', '/etc'),
  );
  try {
    planImport('x', (m) => files[m] ?? null, 'amd64');
    assert.unreachable('accepted an altered config');
  } catch (e) {
    assert.ok(isConductorError(e, 'DIGEST_MISMATCH'), String(e));
  }
  assert.throws(() => planImport('x', () => null, 'amd64'), /neither index.json/);
});

test.run();
