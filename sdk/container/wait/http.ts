/** Wait for an HTTP answer with the expected status from the container's address (or `host`). */
import { ConductorError } from '../../errors.ts';
import { targetHost } from './port.ts';
import { pollUntil, type WaitContext, type WaitStrategy } from './strategy.ts';

/**
 * What `waitForHttp` asks, and what answer means ready.
 * @example await c.waitForHttp({ port: 8080, path: '/health', status: (s) => s < 500, timeoutMs: 10_000 });
 */
export interface HttpWaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  port: number;
  /** Default '/'. */
  path?: string;
  /** The status that means ready: a number, or a test (default: any 2xx). */
  status?: number | ((status: number) => boolean);
  /** Ask here instead of the container's own address (e.g. '127.0.0.1' for a published port). */
  host?: string;
  method?: string;
}

/**
 * Ready once `GET http://<container>:<port><path>` answers with the expected status.
 * @example await waitFor('web1', Wait.forHttp({ port: 8080, path: '/health', status: 204 }));
 */
export function forHttp(opts: HttpWaitOptions): WaitStrategy {
  const { port } = opts;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConductorError('INVALID_ARGUMENT', `invalid port "${port}"`, { hint: 'a TCP port, 1-65535' });
  const path = opts.path ?? '/';
  if (!path.startsWith('/'))
    throw new ConductorError('INVALID_ARGUMENT', `invalid path "${path}"`, { hint: "an HTTP path starting with '/'" });
  const ok =
    typeof opts.status === 'function'
      ? opts.status
      : opts.status === undefined
        ? (s: number) => s >= 200 && s < 300
        : (s: number) => s === opts.status;
  const expect = typeof opts.status === 'number' ? String(opts.status) : opts.status ? 'the expected status' : '2xx';
  const url = (host: string) => `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
  return {
    timeoutMs: opts.timeoutMs,
    describe: (rec) => `${url(targetHost(rec, opts.host))} → ${expect}`,
    wait: (ctx: WaitContext) => {
      const target = url(targetHost(ctx.record, opts.host));
      return pollUntil(ctx, `${target} → ${expect}`, async () => {
        const budget = Math.max(1, Math.min(5000, ctx.deadline - Date.now()));
        const attempt = AbortSignal.any([ctx.signal, AbortSignal.timeout(budget)]);
        try {
          const res = await fetch(target, { method: opts.method ?? 'GET', signal: attempt, redirect: 'manual' });
          await res.body?.cancel();
          return ok(res.status) ? null : `HTTP ${res.status}`;
        } catch (e) {
          ctx.signal.throwIfAborted();
          if (attempt.aborted) return `no answer within ${budget} ms`; // e.g. a firewall dropping the SYN
          const cause = (e as { cause?: { code?: string; message?: string } }).cause;
          return cause?.code ?? cause?.message ?? (e as Error).message;
        }
      });
    },
  };
}
