import { makeFixture } from '/work/main/tests/helpers/runtime-fixture.ts';
import { run, exec, stop, ps } from '/work/main/sdk/index.ts';
const f = await makeFixture('smoke');
console.log('build ms', f.buildMs, f.root);
try {
  for (const cmd of [['true'], ['false'], ['sh','-c','exit 7'], ['/srv/data.txt'], ['nope'], ['sh','-c','hostname; ls /dev; ls /proc/self/fd; ls -d /proc/[0-9]*; cat /etc/hosts /etc/resolv.conf; grep Cap /proc/self/status; readlink /proc/self/cwd']]) {
    const t0 = Date.now();
    const c = await run(f.image, 'c1', { root: f.root, command: cmd, output: 'collect' });
    console.log(cmd.join(' '), c.exitCode, Date.now()-t0, JSON.stringify(c.stdout), JSON.stringify(c.stderr));
    await stop('c1', { root: f.root });
  }
  const c = await run(f.image, 'd1', { root: f.root, command: ['sleep','infinity'], detach: true });
  console.log(await ps({root: f.root}));
  console.log(await exec('d1', ['sh','-c','hostname; ls -d /proc/[0-9]*; cat /proc/1/cmdline; grep -E "Cap|NoNew" /proc/self/status; exit 5'], { root: f.root }));
  const t0 = Date.now();
  console.log(await stop('d1', { root: f.root, timeoutSeconds: 2 }), Date.now()-t0);
} finally { await f.cleanup(); }
