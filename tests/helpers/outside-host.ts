/**
 * "Another host" for root integration tests: a network namespace on its own veth link to this
 * host, with a private /30 that overlaps neither the host's routes or addresses nor conductor's
 * pool, and a default route back through the host. Nothing else is touched (no iptables, no
 * sysctls), and `cleanup()` deletes exactly the namespace and the veth this call created.
 *
 *   const out = createOutsideHost();
 *   try {
 *     out.curl(`http://${out.hostAddr}:3000/`);   // reaches the host on the host end of the link
 *   } finally {
 *     out.cleanup();
 *   }
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { intToIp, ipToInt, poolFromEnv } from '../../sdk/network/pool.ts';

export interface OutsideHost {
  /** `ip netns` name. */
  ns: string;
  /** The host end of the veth (in the host's namespace). */
  hostIf: string;
  /** The host end's address: what the outside host sees as "the host". */
  hostAddr: string;
  /** The namespace end's address (its eth0). */
  addr: string;
  /** The /30 of the link. */
  cidr: string;
  /** Run a command inside the namespace (`ip netns exec`). */
  exec(argv: string[], opts?: { input?: string; timeoutMs?: number }): CmdResult;
  /**
   * GET `url` from the namespace with curl (no proxy): the body on a 2xx, or null on any failure
   * (refused, timed out, HTTP error). `ms` is how long it took.
   */
  curl(url: string, opts?: { maxTimeSeconds?: number }): { body: string | null; status: number; ms: number };
  /** Delete the veth and the namespace this helper created (idempotent, never throws). */
  cleanup(): void;
}

export interface CmdResult {
  code: number;
  out: string;
  err: string;
}

export interface OutsideHostOptions {
  /** Extra CIDRs to stay clear of (the host's routes/addresses and conductor's pool always are). */
  avoid?: string[];
  /** Where to pick the /30 from (default 10.248.0.0/14). */
  range?: string;
}

function run(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): CmdResult {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
  });
  return { code: r.status ?? 1, out: r.stdout ?? '', err: r.stderr ?? (r.error ? String(r.error) : '') };
}

function must(argv: string[], input?: string): string {
  const r = run(argv, { input });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed: ${r.err.trim()}`);
  return r.out;
}

interface Range {
  base: number;
  size: number;
}

function parseRange(cidr: string): Range {
  const [ip, len] = cidr.split('/');
  const prefix = len === undefined ? 32 : Number(len);
  const size = 2 ** (32 - prefix);
  return { base: Math.floor(ipToInt(ip!) / size) * size, size };
}

const overlaps = (a: Range, b: Range) => a.base < b.base + b.size && b.base < a.base + a.size;

/** Every IPv4 destination and address the host knows about, in any routing table. */
function hostRanges(): Range[] {
  const out: Range[] = [];
  const routes = JSON.parse(must(['ip', '-j', '-4', 'route', 'show', 'table', 'all']) || '[]') as Array<{
    dst?: string;
  }>;
  for (const r of routes) {
    if (!r.dst || r.dst === 'default') continue;
    try {
      out.push(parseRange(r.dst));
    } catch {
      /* not IPv4 */
    }
  }
  const links = JSON.parse(must(['ip', '-j', '-4', 'addr']) || '[]') as Array<{
    addr_info?: Array<{ local?: string; prefixlen?: number }>;
  }>;
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (a.local && a.prefixlen !== undefined) {
        try {
          out.push(parseRange(`${a.local}/${a.prefixlen}`));
        } catch {
          /* ignore */
        }
      }
    }
  }
  return out;
}

function exists(argv: string[]): boolean {
  return run(argv).code === 0;
}

/**
 * Create the namespace and its link to the host. Throws (after undoing whatever it did) if it
 * cannot; picks a random free /30 and random names, so concurrent callers do not collide.
 */
export function createOutsideHost(opts: OutsideHostOptions = {}): OutsideHost {
  const rand = randomBytes(4).toString('hex');
  const ns = `cndtest-out-${rand}`;
  const hostIf = `otq${rand}`; // not conductor's "cnd" prefix, ≤ 15 characters
  if (exists(['ip', 'netns', 'pids', ns]) || exists(['ip', 'link', 'show', 'dev', hostIf])) {
    throw new Error(`outside-host: ${ns} / ${hostIf} already exist`);
  }

  const avoid = [...hostRanges(), parseRange(poolFromEnv(process.env).cidr), ...(opts.avoid ?? []).map(parseRange)];
  const range = parseRange(opts.range ?? '10.248.0.0/14');
  let subnet: Range | null = null;
  for (let i = 0; i < 64 && !subnet; i++) {
    const n = randomBytes(4).readUInt32BE() % (range.size / 4);
    const cand = { base: range.base + n * 4, size: 4 };
    if (!avoid.some((r) => overlaps(r, cand))) subnet = cand;
  }
  if (!subnet) throw new Error(`outside-host: no free /30 in ${opts.range ?? '10.248.0.0/14'}`);
  const hostAddr = intToIp(subnet.base + 1);
  const addr = intToIp(subnet.base + 2);
  const cidr = `${intToIp(subnet.base)}/30`;

  let nsCreated = false;
  let linkCreated = false;
  const cleanup = () => {
    // The host end first (deleting either end of a veth removes both), then the namespace.
    if (linkCreated && exists(['ip', 'link', 'show', 'dev', hostIf])) run(['ip', 'link', 'del', 'dev', hostIf]);
    linkCreated = false;
    if (nsCreated) run(['ip', 'netns', 'del', ns]);
    nsCreated = false;
  };

  try {
    must(['ip', 'netns', 'add', ns]);
    nsCreated = true;
    must(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    linkCreated = true;
    must(['ip', '-b', '-'], [`addr add ${hostAddr}/30 dev ${hostIf}`, `link set ${hostIf} up`].join('\n') + '\n');
    must(
      ['ip', '-n', ns, '-b', '-'],
      ['link set lo up', `addr add ${addr}/30 dev eth0`, 'link set eth0 up', `route add default via ${hostAddr}`].join(
        '\n',
      ) + '\n',
    );
  } catch (e) {
    cleanup();
    throw e;
  }

  const exec = (argv: string[], o: { input?: string; timeoutMs?: number } = {}) =>
    run(['ip', 'netns', 'exec', ns, ...argv], o);
  return {
    ns,
    hostIf,
    hostAddr,
    addr,
    cidr,
    exec,
    cleanup,
    curl(url, o = {}) {
      const max = o.maxTimeSeconds ?? 5;
      const t0 = Date.now();
      // -w appends the status on its own line; --noproxy: never leave for a proxy from the env.
      const r = exec(
        [
          'curl',
          '-s',
          '--noproxy',
          '*',
          '--connect-timeout',
          String(max),
          '--max-time',
          String(max),
          '-w',
          '\n%{http_code}',
          url,
        ],
        { timeoutMs: (max + 5) * 1000 },
      );
      const ms = Date.now() - t0;
      const nl = r.out.lastIndexOf('\n');
      const status = nl >= 0 ? Number(r.out.slice(nl + 1)) || 0 : 0;
      const ok = r.code === 0 && status >= 200 && status < 300;
      return { body: ok ? r.out.slice(0, nl) : null, status, ms };
    },
  };
}
