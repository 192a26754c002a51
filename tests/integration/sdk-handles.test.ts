// Root integration tests of the SDK's testcontainers habits: `await using` disposal, wait
// strategies (HTTP, port, log), streaming `logs` (tail, since, timestamps, follow under an
// AbortSignal) and `wait`/`conductor wait` for the exit code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { cli, rejectsWith, stopQuiet, until } from '../helpers/runtime-fixture.ts';
import { uniqueName } from '../helpers/temp-root.ts';
import { runtimeSuite } from '../helpers/runtime-suite.ts';
import { logs, ps, run, wait, Wait, waitForHttp, waitForLog, type ConductorError } from '../../sdk/index.ts';

const { f, root, dirOf } = await runtimeSuite('sdkh');
// PID 1 that ends at once on SIGTERM, so stop never waits for its SIGKILL timeout.
const holder = (script: string) => ['/bin/sh', '-c', `trap "exit 0" TERM; ${script}`];
// A one-route HTTP server in perl-base (the image has no python): listens after `delay` seconds.
const server = (delay: number) => [
  'perl',
  '-MIO::Socket::INET',
  '-e',
  `$SIG{TERM} = sub { exit 0 }; sleep ${delay}; my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ` +
    `ReuseAddr => 1) or die "listen: $!"; $| = 1; print "listening\\n"; while (my $c = $s->accept) { <$c>; ` +
    `print $c "HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok"; close $c }`,
];

test('await using: the container is stopped and removed when the block ends, also on a throw', async () => {
  const name = uniqueName('dispose');
  let seen = false;
  try {
    await (async () => {
      await using c = await run(f.image, name, { root, detach: true, command: holder('sleep infinity & wait') });
      seen = (await ps({ root })).some((i) => i.name === c.name);
      throw new Error('boom');
    })();
    assert.unreachable('the block threw');
  } catch (e) {
    assert.is((e as Error).message, 'boom', "the block's own error comes out");
  } finally {
    await stopQuiet(root, name).catch(() => {});
  }
  assert.ok(seen, 'it ran inside the block');
  assert.not.ok(existsSync(dirOf(name)), 'disposed: its state directory is gone');
  assert.equal(
    (await ps({ root, all: true })).map((i) => i.name).filter((n) => n === name),
    [],
  );
});

test('waitForHttp: a server that starts after 2 s is awaited, and not answered before', async () => {
  const name = uniqueName('http');
  try {
    const t0 = Date.now();
    const c = await run(f.image, name, { root, detach: true, command: server(2), network: {} });
    assert.ok(c.ip, 'it has an address');
    await c.waitForHttp({ port: 8080, path: '/', status: 200, timeoutMs: 15_000 });
    const waited = Date.now() - t0;
    assert.ok(waited >= 2000, `returned after the server started (${waited} ms)`);
    assert.ok(waited < 6000, `and soon after (${waited} ms)`);
    assert.match(await logs(name, { root }), 'listening');
    const res = await fetch(`http://${c.ip}:8080/`);
    assert.is(await res.text(), 'ok');
  } finally {
    await stopQuiet(root, name);
  }
});

const waitForHttpAServerThat =
  'waitForHttp: a server that never starts times out with WAIT_TIMEOUT naming the URL and what was seen';
test(waitForHttpAServerThat, async () => {
  const name = uniqueName('nohttp');
  try {
    const c = await run(f.image, name, { root, detach: true, command: holder('sleep infinity & wait'), network: {} });
    const t0 = Date.now();
    const e = (await rejectsWith(
      waitForHttp(name, { root, port: 8080, path: '/health', timeoutMs: 1500 }),
      'WAIT_TIMEOUT',
    )) as ConductorError;
    const took = Date.now() - t0;
    assert.ok(took >= 1500 && took < 4000, `timed out on time (${took} ms)`);
    assert.ok(e.message.includes(`http://${c.ip}:8080/health`), e.message);
    // Nothing listens: refused, or (host → container ports are filtered) no answer at all.
    assert.match(e.message, /last seen: (ECONNREFUSED|no answer within \d+ ms)\)/, e.message);
    // An abort ends it at once with the signal's reason.
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('aborted by test')), 100);
    await waitForHttp(name, { root, port: 8080, signal: ac.signal }).then(
      () => assert.unreachable('aborted'),
      (err: Error) => assert.is(err.message, 'aborted by test'),
    );
  } finally {
    await stopQuiet(root, name);
  }
});

const runWaitResolvesOnce =
  'run({ wait }): resolves once the log matches (times: 2); a service that dies fails fast and is removed';
test(runWaitResolvesOnce, async () => {
  const name = uniqueName('wlog');
  const dead = uniqueName('wdead');
  try {
    const c = await run(f.image, name, {
      root,
      detach: true,
      command: holder('echo ready; sleep 1; echo ready; sleep infinity & wait'),
      wait: Wait.forLog('ready', { times: 2, timeoutMs: 10_000 }),
    });
    assert.is(await logs(name, { root }), 'ready\nready\n', 'returned after the second match');
    await rejectsWith(c.waitForLog(/never/, { timeoutMs: 300 }), 'WAIT_TIMEOUT');
    const t0 = Date.now();
    await rejectsWith(
      run(f.image, dead, {
        root,
        detach: true,
        command: ['sh', '-c', 'echo dying; exit 3'],
        wait: Wait.forPort(8080, { host: '127.0.0.1', timeoutMs: 20_000 }),
      }),
      'CONTAINER_NOT_RUNNING',
    );
    assert.ok(Date.now() - t0 < 5000, 'did not wait for the timeout');
    assert.not.ok(existsSync(dirOf(dead)), 'the failed run left nothing');
    await rejectsWith(waitForLog(name, 'x', { root, times: 0 }), 'INVALID_ARGUMENT');
  } finally {
    await stopQuiet(root, name, dead);
  }
});

test('logs: --tail 3, --timestamps, --since through the CLI', async () => {
  const name = uniqueName('tail');
  try {
    await run(f.image, name, {
      root,
      detach: true,
      command: holder('for i in 1 2 3 4 5 6 7 8 9 10; do echo line$i; done; printf partial; sleep infinity & wait'),
    });
    // The last line has no newline yet: no line-based wait sees it, so poll the text.
    await until('the partial line', async () => (await logs(name, { root })).endsWith('partial'));
    const full = await cli(f.env, ['logs', name]);
    assert.ok(full.stdout.endsWith('line10\npartial'), JSON.stringify(full.stdout));
    const t = await cli(f.env, ['logs', '--tail', '3', name]);
    assert.is(t.code, 0, t.stderr);
    assert.is(t.stdout, 'line9\nline10\npartial\n');
    const ts = await cli(f.env, ['logs', '-t', '--tail', '1', name]);
    const m = /^(\S+) partial\n$/.exec(ts.stdout);
    assert.ok(m, ts.stdout);
    assert.ok(Math.abs(Date.parse(m![1]!) - Date.now()) < 60_000, 'a real, recent RFC 3339 time');
    assert.is(
      (await cli(f.env, ['logs', '--since', '1h', name])).stdout.split('\n').length,
      12,
      'line1..line10, partial, and the final newline',
    );
    assert.is(
      (await cli(f.env, ['logs', '--since', new Date(Date.now() + 60_000).toISOString(), name])).stdout,
      '',
      'nothing written in the future',
    );
    const bad = await cli(f.env, ['logs', '--since', 'yesterday', name]);
    assert.is.not(bad.code, 0);
    assert.is(bad.stdout, '');
    assert.match(bad.stderr, /invalid --since "yesterday"/);
    const badTail = await cli(f.env, ['logs', '--tail', '-3', name]);
    assert.is.not(badTail.code, 0);
  } finally {
    await stopQuiet(root, name);
  }
});

const logsFollowLinesArrive =
  'logs({ follow }): lines arrive as written, an AbortSignal ends it, and it ends by itself when the container does';
test(logsFollowLinesArrive, async () => {
  const name = uniqueName('follow');
  const brief = uniqueName('brief');
  try {
    await run(f.image, name, {
      root,
      detach: true,
      command: holder('i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.1; done'),
    });
    const ac = new AbortController();
    const got: string[] = [];
    const t0 = Date.now();
    for await (const line of logs(name, { root, follow: true, signal: ac.signal })) {
      got.push(line);
      if (got.length === 5) ac.abort();
    }
    assert.equal(got, ['tick1', 'tick2', 'tick3', 'tick4', 'tick5']);
    assert.ok(Date.now() - t0 < 5000);

    await run(f.image, brief, { root, detach: true, command: ['sh', '-c', 'echo one; sleep 0.5; echo two; exit 3'] });
    const lines: string[] = [];
    for await (const line of logs(brief, { root, follow: true, signal: AbortSignal.timeout(10_000) })) lines.push(line);
    assert.equal(lines, ['one', 'two'], 'followed to the end, then stopped without an abort');
    assert.is(await wait(brief, { root }), 3);
  } finally {
    await stopQuiet(root, name, brief);
  }
});

test('conductor wait prints each exit code once the containers exit', async () => {
  const a = uniqueName('wa');
  const b = uniqueName('wb');
  try {
    await run(f.image, a, { root, detach: true, command: ['sh', '-c', 'sleep 1; exit 3'] });
    await run(f.image, b, { root, detach: true, command: ['sh', '-c', 'exit 0'] });
    const t0 = Date.now();
    const r = await cli(f.env, ['wait', a, b]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, '3\n0\n');
    assert.ok(Date.now() - t0 >= 500, 'it blocked until the first exited');
    const missing = await cli(f.env, ['wait', a, 'no-such-container']);
    assert.is.not(missing.code, 0);
    assert.is(missing.stdout, '', 'nothing printed when a name is wrong');
  } finally {
    await stopQuiet(root, a, b);
  }
});

test.run();
