// Root integration tests of -v/--mount/--tmpfs/--read-only and named volumes: binds rw
// and ro (also through a sub-mount), volumes that outlive stop/prune/rmcache, copy-up, the
// in-use guard, nodev/nosuid, and the symlinked-target attack. One temp state root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildImage,
  inspect,
  run,
  prune,
  images,
  removeCache,
  createVolume,
  pruneVolumes,
  removeVolume,
  volumes,
  parseTmpfsFlag,
  parseVolumeFlag,
  silentLogger,
} from '../../sdk/index.ts';
import { PACKAGE_ROOT } from '../helpers/internals.ts';
import { buildCli, cli, rejectsWith, stopQuiet } from '../helpers/runtime-fixture.ts';
import { makeTempRoot, mountLinesMentioning, uniqueName } from '../helpers/temp-root.ts';

const tr = makeTempRoot();
const root = tr.root;
const env = { ...process.env, CONDUCTOR_ROOT: root, NO_COLOR: '1' };
const host = mkdtempSync('/tmp/conductor-test-volsrc-');
const climb = `/tmp/${uniqueName('climb')}`; // must never appear on the host
const inside = `/tmp/${uniqueName('inside')}`; // exists only inside the image
const image = uniqueName('volimg');
const CONDUCTORFILE = `FROM debian:bookworm
RUN mkdir -p /var/lib/app ${inside} && echo seed > /var/lib/app/seed.txt && chown 1234:4321 /var/lib/app/seed.txt && \
chmod 640 /var/lib/app/seed.txt && ln -s /../../../..${climb} /evil && ln -s ../../../..${inside} /evil2
`;
/** (Re)build the image: the rmcache test removes it. */
async function rebuild(): Promise<void> {
  if ((await images({ root })).some((i) => i.name === image)) return;
  const ctx = mkdtempSync('/tmp/conductor-test-ctx-');
  writeFileSync(path.join(ctx, 'Conductorfile'), CONDUCTORFILE);
  await buildImage(image, {
    file: path.join(ctx, 'Conductorfile'),
    context: ctx,
    root,
    network: 'host',
    log: silentLogger(),
  });
  rmSync(ctx, { recursive: true, force: true });
}
await rebuild();
buildCli();

test.after(async () => {
  spawnSync('umount', ['-l', path.join(host, 'src', 'sub')]);
  await tr.cleanup();
  rmSync(host, { recursive: true, force: true });
});

const sh = async (opts: Parameters<typeof run>[2], script: string) => {
  const c = await run(image, uniqueName('v'), {
    root,
    rm: true,
    output: 'collect',
    ...opts,
    command: ['sh', '-c', script],
  });
  return { code: c.exitCode, out: c.stdout ?? '', err: c.stderr ?? '' };
};
const mountLine = (out: string, target: string) => out.split('\n').find((l) => l.split(' ')[1] === target) ?? '';

test('bind rw: the host sees the writes; :ro refuses them, also in a sub-mount of the source', async () => {
  const src = path.join(host, 'src');
  mkdirSync(path.join(src, 'sub'), { recursive: true });
  writeFileSync(path.join(src, 'h.txt'), 'from host\n');
  assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path.join(src, 'sub')]).status, 0);
  const rw = await sh(
    { mounts: [parseVolumeFlag(`${src}:/mnt/src`)] },
    'cat /mnt/src/h.txt && echo from container > /mnt/src/c.txt && echo sub > /mnt/src/sub/s.txt',
  );
  assert.is(rw.code, 0, rw.err);
  assert.is(rw.out, 'from host\n');
  assert.is(readFileSync(path.join(src, 'c.txt'), 'utf8'), 'from container\n');
  assert.is(readFileSync(path.join(src, 'sub', 's.txt'), 'utf8'), 'sub\n');
  const ro = await sh(
    { mounts: [parseVolumeFlag(`${src}:/mnt/src:ro`)] },
    'cat /mnt/src/h.txt; echo x > /mnt/src/new.txt; echo x > /mnt/src/sub/new.txt; cat /proc/mounts',
  );
  assert.match(ro.err, /\/mnt\/src\/new.txt: Read-only file system/);
  assert.match(ro.err, /\/mnt\/src\/sub\/new.txt: Read-only file system/);
  assert.not.ok(existsSync(path.join(src, 'new.txt')));
  assert.not.ok(existsSync(path.join(src, 'sub', 'new.txt')));
  for (const t of ['/mnt/src', '/mnt/src/sub']) assert.match(mountLine(ro.out, t), /\bro,nosuid,nodev\b/, t);
});

const namedVolumeCreatedOn =
  'named volume: created on first use, filled from the image (owners and modes), survives stop, prune and rmcache';
test(namedVolumeCreatedOn, async () => {
  const vol = uniqueName('data');
  const first = await sh(
    { mounts: [parseVolumeFlag(`${vol}:/var/lib/app`)] },
    'stat -c "%u:%g %a" /var/lib/app/seed.txt && echo kept > /var/lib/app/state',
  );
  assert.is(first.code, 0, first.err);
  assert.is(first.out, '1234:4321 640\n');
  const data = path.join(root, '.volumes', vol, '_data');
  assert.is(readFileSync(path.join(data, 'state'), 'utf8'), 'kept\n');
  assert.is(statSync(path.join(root, '.volumes')).mode & 0o777, 0o700);
  await prune({ root });
  await removeCache({ root, all: true }); // removes the image too
  assert.ok(existsSync(path.join(data, 'state')), 'rmcache --all and prune leave volumes');
  assert.ok((await volumes({ root })).some((v) => v.name === vol && v.usedBy.length === 0));
});

test('volume rm is refused while a container record mounts it; prune removes only unused ones', async () => {
  const used = uniqueName('used');
  const unused = uniqueName('unused');
  await createVolume(unused, { root });
  const name = uniqueName('holder');
  await rebuild();
  await run(image, name, { root, detach: true, mounts: [parseVolumeFlag(`${used}:/data`)], command: ['sleep', '300'] });
  try {
    const e = await rejectsWith(removeVolume(used, { root }), 'VOLUME_IN_USE');
    assert.match(e.message, new RegExp(`volume "${used}" is in use by container "${name}"`));
    const r = await cli(env, ['volume', 'rm', used]);
    assert.is(r.code, 125);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    const info = await inspect(name, { root });
    assert.equal(info.mounts, [
      {
        type: 'volume',
        source: used,
        target: '/data',
        readonly: false,
        hostPath: path.join(root, '.volumes', used, '_data'),
      },
    ]);
    const pruned = await pruneVolumes({ root });
    assert.ok(pruned.removed.includes(unused));
    assert.not.ok(pruned.removed.includes(used));
  } finally {
    await stopQuiet(root, name);
  }
  assert.ok(existsSync(path.join(root, '.volumes', used, '_data')), 'stop leaves the volume');
  await removeVolume(used, { root });
  assert.not.ok(existsSync(path.join(root, '.volumes', used)));
  const ls = await cli(env, ['volume', 'ls', '--json']);
  assert.not.ok((JSON.parse(ls.stdout) as Array<{ name: string }>).some((v) => v.name === used));
});

test('--tmpfs (sized, nodev/nosuid, noexec when asked) and --read-only', async () => {
  await rebuild();
  const r = await sh(
    { readOnly: true, mounts: [parseTmpfsFlag('/scratch:size=1m,noexec'), parseTmpfsFlag('/tmp')] },
    'touch /rootfile; touch /tmp/ok && dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>/dev/null; ' +
      'echo dd=$?; cat /proc/mounts',
  );
  assert.match(r.err, /\/rootfile'?: Read-only file system/);
  assert.match(r.out, /dd=1/);
  assert.match(mountLine(r.out, '/'), /^overlay \/ overlay ro,/);
  assert.match(mountLine(r.out, '/scratch'), /rw,nosuid,nodev,noexec,.*size=1024k/);
  assert.match(mountLine(r.out, '/tmp'), /rw,nosuid,nodev,.*size=65536k/);
});

test('attack: a target through an image symlink climbing out never touches the host', async () => {
  await rebuild();
  const src = path.join(host, 'src');
  // Absolute link with "..": resolved in the container's root it is a missing path: refused.
  const r1 = await sh({ mounts: [parseVolumeFlag(`${src}:/evil/y`)] }, 'true');
  assert.is(r1.code, 125);
  assert.match(r1.err, /symlink to a missing path/);
  // Relative link climbing out: clamped to the container's root, where the directory exists.
  const r2 = await sh(
    { mounts: [parseVolumeFlag(`${src}:/evil2/y`)] },
    `cat ${inside}/y/h.txt && grep -c " ${inside}/y " /proc/mounts`,
  );
  assert.is(r2.code, 0, r2.err);
  assert.is(r2.out, 'from host\n1\n');
  assert.not.ok(existsSync(climb), `${climb} was created on the host`);
  assert.not.ok(existsSync(inside), `${inside} was created on the host`);
  assert.equal(mountLinesMentioning(climb), []);
  assert.equal(mountLinesMentioning(inside), []);
});

test('bad specs are refused with one line, nothing mounted, nothing left behind', async () => {
  await rebuild();
  const before = { mounts: mountLinesMentioning(root).length, vols: (await volumes({ root })).length };
  const cases: Array<[string[], RegExp]> = [
    [['-v', '/:/host'], /host's root/],
    [['-v', `${root}:/state`], /conductor's own files/],
    [['-v', `${path.join(PACKAGE_ROOT, 'native')}:/n`], /conductor's own files/],
    [['-v', `${path.dirname(root)}:/t`], /holding conductor's own files/],
    [['-v', 'rel/path:/x'], /relative host path/],
    [['-v', `${host}/missing:/x`], /does not exist/],
    [['-v', `${host}:/`], /target "\/" is refused/],
    [['-v', `${host}:/proc`], /\/proc is set up by conductor/],
    [['-v', `${host}:/sys/x`], /\/sys is set up by conductor/],
    [['-v', `${host}:/dev`], /\/dev is set up by conductor/],
    [['-v', 'bad$name:/x'], /invalid volume name/],
    [['--tmpfs', '/t:size=1m,uid=0'], /invalid tmpfs mount option/],
    [['--mount', 'type=bind,source=/tmp,target=/x,propagation=shared'], /unknown field/],
  ];
  for (const [args, re] of cases) {
    const name = uniqueName('bad');
    const r = await cli(env, ['run', image, name, ...args, '--', 'true']);
    assert.is(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.not.ok(existsSync(path.join(root, '.containers', name)), `${name} left behind`);
  }
  assert.is(mountLinesMentioning(root).length, before.mounts);
  assert.is((await volumes({ root })).length, before.vols);
  assert.not.ok(existsSync(path.join(root, '.volumes', 'bad$name')));
});

test.run();
