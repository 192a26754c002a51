#!/usr/bin/env python3
"""Write a one-layer OCI archive whose layer is crafted to attack an importer (Python's tarfile,
independent of conductor's own tar code). usage: hostile-archive.py KIND OUT.tar
KIND: dotdot | symlink-escape | device | digest-mismatch | duplicate | ok"""
import hashlib, io, json, sys, tarfile

kind, out = sys.argv[1], sys.argv[2]

def layer() -> bytes:
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=tarfile.PAX_FORMAT) as t:
        def add(name, data=b'x', **kw):
            ti = tarfile.TarInfo(name)
            for k, v in kw.items(): setattr(ti, k, v)
            if ti.type == tarfile.REGTYPE: ti.size = len(data)
            t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
        add('bin', type=tarfile.DIRTYPE, mode=0o755)
        add('bin/ok', b'fine\n', mode=0o755)
        if kind == 'dotdot':
            add('../../../../tmp/conductor-hostile-dotdot', b'pwned\n')
        elif kind == 'symlink-escape':
            add('etc', type=tarfile.SYMTYPE, linkname='/tmp')
            add('etc/conductor-hostile-symlink', b'pwned\n')
        elif kind == 'device':
            add('dev-sda', type=tarfile.BLKTYPE, devmajor=8, devminor=0, mode=0o666)
        elif kind == 'duplicate':
            add('bin/ok', b'replaced\n', mode=0o4755)
    return b.getvalue()

blobs = {}
def blob(data: bytes) -> dict:
    d = 'sha256:' + hashlib.sha256(data).hexdigest()
    blobs[d] = data
    return d

l = layer()
diff_id = 'sha256:' + hashlib.sha256(l).hexdigest()
ld = blob(l)
if kind == 'digest-mismatch':
    blobs[ld] = l.replace(b'fine\n', b'evil\n')  # same size, other bytes: the digest no longer matches
config = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {'Env': ['PATH=/bin']},
                     'rootfs': {'type': 'layers', 'diff_ids': [diff_id]}}).encode()
cd = blob(config)
manifest = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                       'config': {'mediaType': 'application/vnd.oci.image.config.v1+json', 'digest': cd, 'size': len(config)},
                       'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar', 'digest': ld, 'size': len(l)}]}).encode()
md = blob(manifest)
index = json.dumps({'schemaVersion': 2, 'manifests': [{'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': md, 'size': len(manifest)}]}).encode()
with tarfile.open(out, 'w') as t:
    def put(name, data):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    put('oci-layout', b'{"imageLayoutVersion":"1.0.0"}')
    put('index.json', index)
    for d, data in blobs.items(): put('blobs/sha256/' + d[7:], data)
