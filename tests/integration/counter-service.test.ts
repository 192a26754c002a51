// Integration test for services/counter-service (the C HTTP server).
// Runs its `make check`, then checks a freshly started binary on 127.0.0.1 from Node.
// Run: npx tsx tests/integration/counter-service.test.ts
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVICE_DIR = path.join(ROOT, 'services/counter-service');
const BINARY = path.join(SERVICE_DIR, 'counter-service');
const HOST = '127.0.0.1';

interface Server {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface Reply {
  status: number;
  body: string;
  reusedSocket: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the binary on 127.0.0.1:<free port> and resolves once it logs "listening on". */
async function startServer(): Promise<Server> {
  const port = await freePort();
  const proc = spawn(BINARY, [String(port), HOST], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`counter-service did not start: ${err}`)), 5000);
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`counter-service exited early (code ${code}): ${err}`));
    });
  });
  return { proc, port, stderr: () => err, exited };
}

/** Kills the server we started, by PID, if it is still running. */
function killServer(server: Server | undefined): void {
  const pid = server?.proc.pid;
  if (server && pid !== undefined && server.proc.exitCode === null && server.proc.signalCode === null) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function withServer(fn: (server: Server) => Promise<void>): Promise<void> {
  let server: Server | undefined;
  try {
    server = await startServer();
    await fn(server);
  } finally {
    killServer(server);
  }
}

function get(port: number, urlPath: string, agent: http.Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: urlPath, agent, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout on ${urlPath}`)));
    req.on('error', reject);
  });
}

/** Sends raw bytes and collects everything until the server closes the connection. */
function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: HOST, port });
    let out = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('raw exchange timed out (server did not close)')));
    sock.on('connect', () => sock.write(data));
    sock.on('data', (d: Buffer) => (out += d.toString('latin1')));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

test.before(() => {
  const r = spawnSync('make', ['-s', '-C', SERVICE_DIR, 'counter-service'], { stdio: 'inherit' });
  assert.is(r.status, 0, 'make counter-service failed');
});

test('make check passes', () => {
  const r = spawnSync('make', ['-C', SERVICE_DIR, 'check'], { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, `make check failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /0 failed/);
});

test('health answers 200 ok', () =>
  withServer(async ({ port }) => {
    const r = await get(port, '/health');
    assert.is(r.status, 200);
    assert.is(r.body, 'ok');
  }));

test('counter starts at 1 and increases strictly by 1', () =>
  withServer(async ({ port }) => {
    const counts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await get(port, '/get_and_increment_counter');
      assert.is(r.status, 200);
      assert.match(r.body, /^\d+$/);
      counts.push(Number(r.body));
    }
    assert.equal(counts, [1, 2, 3, 4, 5]);
  }));

test('keep-alive: second request reuses the connection', () =>
  withServer(async ({ port }) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const a = await get(port, '/get_and_increment_counter', agent);
      const b = await get(port, '/get_and_increment_counter', agent);
      assert.is(a.reusedSocket, false);
      assert.is(b.reusedSocket, true, 'second request should reuse the socket');
      assert.is(Number(b.body), Number(a.body) + 1);
    } finally {
      agent.destroy();
    }
  }));

test('concurrent requests get distinct counts', () =>
  withServer(async ({ port }) => {
    const replies = await Promise.all(Array.from({ length: 100 }, () => get(port, '/get_and_increment_counter')));
    const counts = replies.map((r) => (r.status === 200 ? Number(r.body) : NaN));
    assert.equal(
      [...counts].sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
  }));

test('unknown path answers 404', () =>
  withServer(async ({ port }) => {
    const r = await get(port, '/nope');
    assert.is(r.status, 404);
  }));

test('garbage answers 400 and closes', () =>
  withServer(async ({ port }) => {
    for (const garbage of ['GARBAGE\r\n\r\n', 'GET /health\r\n\r\n', 'GET /health HTTP/1.1\r\nno colon\r\n\r\n']) {
      const out = await rawExchange(port, garbage);
      assert.match(out, /^HTTP\/1\.1 400 /, `for ${JSON.stringify(garbage)}: ${out}`);
    }
    // still serving afterwards
    assert.is((await get(port, '/health')).status, 200);
  }));

test('SIGTERM exits 0 and logs shutting down', () =>
  withServer(async (server) => {
    assert.is((await get(server.port, '/health')).status, 200);
    process.kill(server.proc.pid!, 'SIGTERM');
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no exit within 5s')), 5000).unref(),
    );
    const { code, signal } = await Promise.race([server.exited, timeout]);
    assert.is(signal, null);
    assert.is(code, 0);
    assert.match(server.stderr(), /shutting down/);
  }));

test.run();
