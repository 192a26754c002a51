/** Wait for a TCP port: a connect from the host to the container's address (or `host`). */
import { connect } from 'node:net';
import { ConductorError } from '../../errors.ts';
import type { ContainerRecord } from '../../types.ts';
import { pollUntil, type WaitContext, type WaitStrategy } from './strategy.ts';

/**
 * Where `waitForPort` connects, and how long it tries.
 * @example await waitForPort('web1', 3000, { host: '127.0.0.1', timeoutMs: 5000 }); // a published port
 */
export interface PortWaitOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** Connect here instead of the container's own address (e.g. '127.0.0.1' for a published port). */
  host?: string;
}

/** The address a strategy talks to: `host`, else the container's network address. */
export function targetHost(rec: ContainerRecord, host: string | undefined): string {
  if (host) return host;
  if (rec.network?.ip) return rec.network.ip;
  throw new ConductorError('NO_NETWORK', `container "${rec.name}" has no network address to wait on`, {
    hint: 'run it with a network (run --internet / --expose, or addNetwork), or pass host',
  });
}

/** One connect attempt: null when it was accepted, else what happened. */
function tryConnect(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = connect({ host, port, timeout: timeoutMs });
    const done = (v: string | null) => {
      sock.destroy();
      resolve(v);
    };
    sock.once('connect', () => done(null));
    sock.once('timeout', () => done(`connect timed out after ${timeoutMs} ms`));
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/**
 * Ready once a TCP connect to the port succeeds.
 * @example await run('web', 'web1', { detach: true, network: {}, wait: Wait.forPort(8080) });
 */
export function forPort(port: number, opts: PortWaitOptions = {}): WaitStrategy {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ConductorError('INVALID_ARGUMENT', `invalid port "${port}"`, { hint: 'a TCP port, 1-65535' });
  return {
    timeoutMs: opts.timeoutMs,
    describe: (rec) => `tcp ${targetHost(rec, opts.host)}:${port}`,
    wait: (ctx: WaitContext) => {
      const host = targetHost(ctx.record, opts.host);
      return pollUntil(ctx, `tcp ${host}:${port}`, () =>
        tryConnect(host, port, Math.max(1, Math.min(2000, ctx.deadline - Date.now()))),
      );
    },
  };
}
