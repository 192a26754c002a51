// The README's SDK example, run for real. Between the two marker lines is the README's code block,
// character for character but for its import of 'conductor', which is sdk/index.ts here
// (tests/unit/readme-example.test.ts checks they match). Before it: a temp state root for every SDK
// call (CONDUCTOR_ROOT is read at each call) and the image `web` the example runs; after it: that it
// left no container.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempRoot } from '../helpers/temp-root.ts';
import { suite } from 'uvu';
import { buildImage, ps, silentLogger } from '../../sdk/index.ts';

const tr = makeTempRoot();
process.env.CONDUCTOR_ROOT = tr.root;
const ctx = mkdtempSync('/tmp/conductor-test-ctx-');
try {
  writeFileSync(path.join(ctx, 'Conductorfile'), 'FROM debian:bookworm\n');
  await buildImage('web', { file: path.join(ctx, 'Conductorfile'), context: ctx, log: silentLogger() });
} finally {
  rmSync(ctx, { recursive: true, force: true });
}
// ---- README example ----
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../../sdk/index.ts';

// An HTTP server in perl-base, which every Debian image has: `web` is built `FROM debian:bookworm`.
const hello = `$SIG{TERM} = sub { exit 0 }; use IO::Socket::INET;
my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die $!;
while (my $c = $s->accept) { <$c>; print $c "HTTP/1.0 200 OK\\r\\n\\r\\nhello"; close $c }`;

test('the server says hello', async () => {
  await using web = await run('web', 'web-test', { detach: true, command: ['perl', '-e', hello], network: {} });
  await web.waitForHttp({ port: 8080, path: '/', timeoutMs: 10_000 });
  const res = await fetch(`http://${web.ip}:8080/`);
  assert.is(await res.text(), 'hello');
}); // web-test is stopped and removed here, also when an assertion throws

test.run();
// ---- end of README example ----

// After it, as a suite of its own: its `await using` removed the container.
const afterwards = suite('after the example');
afterwards('no container is left', async () => {
  assert.equal(
    (await ps({ all: true })).map((c) => c.name),
    [],
  );
});
afterwards.after(() => tr.cleanup());
afterwards.run();
