/**
 * The scale curves: N networked containers (each `addnetwork -i`, every 10th with a published
 * port), grown to N = 1, 50, 100, 200, and at each N: the time of one more addnetwork, of `ps`,
 * published-port HTTP from another host (a network namespace the bench makes, on its own link to
 * this host) and a container's transfer to a server on the host's own address; then N = 1 again.
 * Measured once per run, whichever of the scale groups asks first; everything it made is removed
 * before it returns.
 */
import { createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { BenchContext } from './context.ts';
import { run, runOk, timedRuns } from './proc.ts';

export const LEVELS = [1, 50, 100, 200] as const;

export interface ScaleLevel {
  n: number;
  /** N = 1 measured again at the end, the others stopped (the baseline is both N = 1 levels). */
  again?: boolean;
  /** ms of `addnetwork -i` of the (N+1)th container. */
  addnetwork: number[];
  /** ms of `ps`. */
  ps: number[];
  /** req/s through the published port, from the outside host. */
  http: number[];
  /** MB/s, the first container to a server on the host's own address. */
  transfer: number[];
}

export interface ScaleResult {
  levels: ScaleLevel[];
  notes: string[];
}

const memo = new WeakMap<BenchContext, Promise<ScaleResult>>();

/** The curves, measured on first use in this run. */
export function scaleResult(ctx: BenchContext): Promise<ScaleResult> {
  let p = memo.get(ctx);
  if (!p) {
    p = measure(ctx);
    memo.set(ctx, p);
  }
  return p;
}

const HTTP_PORT = 24100;
const SINK_PORT = 24099;
const BYTES = 500_000_000;

/** A TCP sink on the host's address: each connection's bytes over the time from its first to its last. */
function sink(host: string): { server: Server; next: () => Promise<number> } {
  let waiting: ((mbps: number) => void) | null = null;
  const server = createServer((sock) => {
    let bytes = 0;
    let first = 0;
    sock.on('data', (d) => {
      if (!first) first = performance.now();
      bytes += d.length;
    });
    sock.on('close', () => waiting?.(bytes / 1e6 / ((performance.now() - first) / 1000)));
  });
  server.listen(SINK_PORT, host);
  return { server, next: () => new Promise((r) => (waiting = r)) };
}

async function measure(ctx: BenchContext): Promise<ScaleResult> {
  const { c, conductor, env, hostIp, log } = ctx;
  const rand = randomBytes(2).toString('hex');
  const ns = `cbench-out-${rand}`;
  const hostIf = `cbq${rand}`; // not conductor's "cnd" prefix
  const octet = 16 + (parseInt(rand, 16) % 200);
  const outsideHost = `10.251.${octet}.1`;
  const names: string[] = [];
  const notes: string[] = [];
  const levels: ScaleLevel[] = [];
  const { server, next } = sink(hostIp);
  try {
    await runOk(['ip', 'netns', 'add', ns]);
    await runOk(['ip', '-b', '-'], {
      input:
        `link add ${hostIf} type veth peer name eth0 netns ${ns}\n` +
        `addr add ${outsideHost}/30 dev ${hostIf}\nlink set ${hostIf} up\n`,
    });
    await runOk(['ip', '-n', ns, '-b', '-'], {
      input: `link set lo up\naddr add 10.251.${octet}.2/30 dev eth0\nlink set eth0 up\nroute add default via ${outsideHost}\n`,
    });
    const start = async (i: number) => {
      const name = `cbench-s${i}`;
      const r = await run(conductor('run', '-d', 'counter-service', name, '--', 'sleep', 'infinity'), {
        env,
        timeoutMs: 60_000,
      });
      if (r.code !== 0) throw new Error(`run ${name}: ${r.stderr.trim()}`);
      names.push(name);
      const extra =
        i === 1
          ? ['-e', `8080-${HTTP_PORT}`, '--allow-host', String(SINK_PORT)]
          : i % 10 === 0
            ? ['-e', `8080-${HTTP_PORT + i}`]
            : [];
      const a = await run(conductor('addnetwork', name, '-i', ...extra), { env, timeoutMs: 60_000 });
      if (a.code !== 0) throw new Error(`addnetwork ${name}: ${a.stderr.trim()}`);
    };
    await start(1);
    await c('exec', '-d', 'cbench-s1', '--', '/opt/counter-service/counter-service', '8080');
    const url = `http://${outsideHost}:${HTTP_PORT}/get_and_increment_counter`;
    for (let i = 0; ; i++) {
      if ((await run(['ip', 'netns', 'exec', ns, 'curl', '-sf', '-m', '1', url])).code === 0) break;
      if (i > 50) throw new Error('the counter service did not answer through the published port within 5 s');
      await ctx.sleep(100);
    }
    const measureLevel = async (n: number): Promise<ScaleLevel> => {
      const probe = 'cbench-probe';
      const renew = async () => {
        await run(conductor('stop', '-t', '0', '--ignore', probe), { env, timeoutMs: 60_000 });
        await runOk(conductor('run', '-d', 'counter-service', probe, '--', 'sleep', 'infinity'), { env });
      };
      const an = await timedRuns(conductor('addnetwork', probe, '-i'), {
        runs: 8,
        warmup: 1,
        prepare: renew,
        env,
        timeoutMs: 60_000,
      });
      await run(conductor('stop', '-t', '0', '--ignore', probe), { env, timeoutMs: 60_000 });
      const ps = await timedRuns(conductor('ps'), { runs: 5, warmup: 1, env, timeoutMs: 30_000 });
      const http: number[] = [];
      for (let k = 0; k < 3; k++) {
        const w = await runOk(['ip', 'netns', 'exec', ns, 'wrk', '-c32', '-t2', '-d5s', url], { timeoutMs: 30_000 });
        http.push(Number(/Requests\/sec:\s+([\d.]+)/.exec(w.stdout)?.[1]));
        const errs = /Socket errors:.*|Non-2xx.*/.exec(w.stdout)?.[0];
        if (errs) notes.push(`wrk at N = ${n}: ${errs.trim()}`);
      }
      const transfer: number[] = [];
      for (let k = 0; k < 4; k++) {
        const got = next();
        const send = `head -c ${BYTES} /dev/zero > /dev/tcp/${hostIp}/${SINK_PORT}`;
        await c('exec', 'cbench-s1', '--', 'bash', '-c', send);
        transfer.push(await got);
      }
      for (const f of [...an.failures, ...ps.failures]) notes.push(`at N = ${n}: ${f}`);
      return { n, addnetwork: an.times, ps: ps.times, http, transfer };
    };
    let count = 1;
    for (const n of LEVELS) {
      while (count < n) {
        const batch = Array.from({ length: Math.min(20, n - count) }, (_, k) => count + k + 1);
        await Promise.all(batch.map(start));
        count += batch.length;
      }
      log(`scale: N = ${n}`);
      levels.push(await measureLevel(n));
    }
    // N = 1 once more, the fleet but the first container stopped: the levels are timed one after
    // another over minutes in which the machine drifts, so the baseline is both ends together.
    const others = names.filter((x) => x !== 'cbench-s1');
    log(`scale: stopping ${others.length} containers, then N = 1 again`);
    const rest = await run(conductor('stop', '-t', '0', '--ignore', ...others), { env, timeoutMs: 300_000 });
    if (rest.code !== 0) throw new Error(`stopping the fleet but cbench-s1: ${rest.stderr.trim()}`);
    levels.push({ ...(await measureLevel(1)), again: true });
    return { levels, notes };
  } finally {
    log(`scale: stopping ${names.length} containers`);
    const st = await run(conductor('stop', '-t', '0', '--ignore', ...names, 'cbench-probe'), {
      env,
      timeoutMs: 300_000,
    });
    if (st.code !== 0) notes.push(`stopping the fleet: exit ${st.code}: ${st.stderr.trim()}`);
    server.close();
    await run(['ip', 'link', 'del', hostIf]);
    await run(['ip', 'netns', 'del', ns]);
  }
}
