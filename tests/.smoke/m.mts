import { makeFixture } from '/work/main/tests/helpers/runtime-fixture.ts';
import { run, exec, stop, ps } from '/work/main/sdk/index.ts';
const f = await makeFixture('smoke');
try {
  const script = process.argv[2]!;
  const c = await run(f.image, 'c1', { root: f.root, command: ['sh','-c',script], output: 'collect' });
  console.log(c.exitCode, c.stdout, c.stderr);
  await stop('c1', { root: f.root });
} finally { await f.cleanup(); }
