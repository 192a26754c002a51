// Root integration tests of `cp`: both ways with modes and owners, `-` tar streams, and
// the attacks: a destination through a container symlink to a host path, a symlink swapped during
// the copy (CVE-2018-15664), and a hostile tar binary in the container (CVE-2019-14271 class).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { exec, run, copyFrom, copyTo, isConductorError } from '../../sdk/index.ts';
import { entryHeader } from '../helpers/internals.ts';
import { CLI, DEFAULT_CAPBND, buildCli, cli, makeFixture, stopQuiet } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';

const f = await makeFixture('cp');
const root = f.root;
buildCli();
const host = mkdtempSync('/tmp/conductor-test-cphost-');
const name = uniqueName('cp');
await run(f.image, name, { root, detach: true, command: ['sleep', '600'] });

test.after(async () => {
  await stopQuiet(root, name);
  await f.cleanup();
  rmSync(host, { recursive: true, force: true });
});

const inC = async (script: string) => {
  const r = await exec(name, ['sh', '-c', script], { root });
  assert.is(r.exitCode, 0, r.stderr);
  return r.stdout;
};

test('cp in and out: files and directories, modes, owners with -a, renames as docker cp', async () => {
  const d = path.join(host, 'd');
  mkdirSync(path.join(d, 'sub'), { recursive: true });
  writeFileSync(path.join(d, 'a'), 'alpha\n');
  chmodSync(path.join(d, 'a'), 0o640);
  chownSync(path.join(d, 'a'), 1000, 1001);
  symlinkSync('a', path.join(d, 'link'));
  await copyTo(name, d, '/opt/', { root, archive: true });
  assert.is(await inC('stat -c "%u:%g %a" /opt/d/a; readlink /opt/d/link; cat /opt/d/a'), '1000:1001 640\na\nalpha\n');
  await copyTo(name, path.join(d, 'a'), '/opt/renamed', { root });
  assert.is(await inC('stat -c "%u:%g %a" /opt/renamed'), '0:0 640\n');
  await inC(
    'mkdir -p /srv/out/deep && echo data > /srv/out/deep/f && chown 42:43 /srv/out/deep/f && chmod 604 /srv/out/deep/f',
  );
  await copyFrom(name, '/srv/out', host, { root, archive: true });
  const out = path.join(host, 'out', 'deep', 'f');
  assert.is(readFileSync(out, 'utf8'), 'data\n');
  assert.is(statSync(out).uid, 42);
  assert.is(statSync(out).mode & 0o7777, 0o604);
  await copyFrom(name, '/srv/out/deep/f', path.join(host, 'single'), { root });
  assert.is(readFileSync(path.join(host, 'single'), 'utf8'), 'data\n');
  assert.is(statSync(path.join(host, 'single')).uid, 0);
});

test('cp with - : a tar stream on stdin and stdout (CLI)', async () => {
  const tarIn = spawnSync('tar', ['-c', '-C', host, 'd'], { maxBuffer: 1 << 24 });
  const r1 = await cli(f.env, ['cp', '-', `${name}:/tmp`], { input: tarIn.stdout.toString('latin1') });
  assert.is(r1.code, 0, r1.stderr);
  assert.is(await inC('cat /tmp/d/a'), 'alpha\n');
  const r2 = spawnSync(process.execPath, [CLI, 'cp', `${name}:/srv/out`, '-'], { env: f.env, maxBuffer: 1 << 24 });
  assert.is(r2.status, 0, r2.stderr?.toString());
  const list = spawnSync('tar', ['-tv', '--numeric-owner'], { input: r2.stdout, encoding: 'utf8' });
  assert.match(list.stdout, /42\/43\s+5 .* out\/deep\/f/);
});

test('attack: a destination through a container symlink to a host path stays in the container', async () => {
  const target = path.join(host, 'victim-dir');
  mkdirSync(target);
  await inC(`ln -sfn ${target} /escape && mkdir -p ${target}`);
  await copyTo(name, path.join(host, 'd', 'a'), '/escape/planted', { root });
  assert.equal(readdirSync(target), [], 'written on the host through the container symlink');
  assert.is(await inC(`cat ${target}/planted`), 'alpha\n');
  // Out: a container symlink to a host file yields the container's file, never the host's.
  writeFileSync(path.join(host, 'secret'), 'HOST SECRET\n');
  await inC(`ln -sfn ${host} /leakdir`);
  const err = await copyFrom(name, '/leakdir/secret', path.join(host, 'got'), { root }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(
    isConductorError(err, 'COMMAND_FAILED'),
    `the host's file was read through the container's symlink: ${String(err)}`,
  );
  assert.not.ok(existsSync(path.join(host, 'got')));
  await inC(`echo container > ${host}/secret`);
  await copyFrom(name, '/leakdir/secret', path.join(host, 'got'), { root });
  assert.is(readFileSync(path.join(host, 'got'), 'utf8'), 'container\n');
});

test('attack: a symlink swapped during the copy never redirects it to the host', async () => {
  const target = path.join(host, 'race-dir');
  mkdirSync(target);
  writeFileSync(path.join(host, 'race-secret'), 'HOST SECRET\n');
  await inC(
    `mkdir -p /race; echo container > /race/f; (while :; do ln -sfn ${target} /swap.l; ` +
      `mv -T /swap.l /swap; rm -f /swap; ln -sfn /race /swap; ln -sfn ${host}/race-secret /swapf; ` +
      `rm -f /swapf; echo c > /swapf; done) >/dev/null 2>&1 & echo $! > /race.pid`,
  );
  for (let i = 0; i < 20; i++) {
    await copyTo(name, path.join(host, 'd', 'a'), `/swap/f${i}`, { root }).catch(() => {});
    await copyFrom(name, '/swapf', path.join(host, `pulled${i}`), { root }).catch(() => {});
  }
  await inC('kill $(cat /race.pid)');
  assert.equal(readdirSync(target), [], 'a swapped symlink redirected the copy to the host');
  for (let i = 0; i < 20; i++) {
    const p = path.join(host, `pulled${i}`);
    if (existsSync(p) && !lstatSync(p).isSymbolicLink()) assert.is.not(readFileSync(p, 'utf8'), 'HOST SECRET\n');
  }
});

test('attack: a hostile tar in the image runs confined, and what it sends is refused on the host', async () => {
  const outside = path.join(host, 'outside');
  mkdirSync(outside);
  const evil = Buffer.concat([
    entryHeader({ name: 'x/', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0, size: 0 }),
    entryHeader({ name: 'x/l', type: 'symlink', linkname: outside, mode: 0o777, uid: 0, gid: 0, mtime: 0, size: 0 }),
    entryHeader({ name: 'x/l/pwned', type: 'file', mode: 0o4755, uid: 0, gid: 0, mtime: 0, size: 0 }),
    Buffer.alloc(1024),
  ]);
  writeFileSync(path.join(host, 'evil.tar'), evil);
  await copyTo(name, path.join(host, 'evil.tar'), '/evil.tar', { root });
  await inC(
    `mv /usr/bin/tar /usr/bin/tar.real && printf '#!/bin/sh\\n` +
      `grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status > /tar-status\\n` +
      `ls /proc/1/root/ > /tar-saw 2>&1\\ncat /evil.tar\\n' > /usr/bin/tar && chmod 755 /usr/bin/tar`,
  );
  try {
    const err = await copyFrom(name, '/x', host, { root }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(isConductorError(err, 'INVALID_ARGUMENT'), String(err));
    assert.equal(readdirSync(outside), [], 'the hostile archive wrote through its symlink');
    const status = await inC('cat /tar-status');
    assert.match(status, new RegExp(`CapBnd:\\s+${DEFAULT_CAPBND}`));
    assert.match(status, /NoNewPrivs:\s+1/);
    assert.match(status, /Seccomp:\s+2/);
    assert.not.match(await inC('cat /tar-saw'), /conductor-test-cphost/);
  } finally {
    await inC('mv -f /usr/bin/tar.real /usr/bin/tar');
  }
});

test('bad cp requests: one-line errors, nothing written', async () => {
  const r1 = await cli(f.env, ['cp', path.join(host, 'missing'), `${name}:/tmp/`]);
  assert.is(r1.code, 125);
  assert.match(r1.stderr, /does not exist/);
  const r2 = await cli(f.env, ['cp', path.join(host, 'd'), `${name}:/nonexistent-dir/`]);
  assert.is(r2.code, 125);
  assert.match(r2.stderr, /does not exist/);
  const r3 = await cli(f.env, ['cp', path.join(host, 'd'), path.join(host, 'e')]);
  assert.is(r3.code, 2);
  const r4 = await cli(f.env, ['cp', `${name}:/no/such`, path.join(host, 'nothing')]);
  assert.is(r4.code, 125);
  assert.not.ok(existsSync(path.join(host, 'nothing')));
});

test.run();
