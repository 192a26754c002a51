/** The wait strategies, and one function per strategy that runs it against a named container. */
import { forHealthy } from './health.ts';
import { forHttp, type HttpWaitOptions } from './http.ts';
import { forLog, type LogWaitOptions } from './log.ts';
import { forPort, type PortWaitOptions } from './port.ts';
import { waitFor, type WaitOptions } from './strategy.ts';

export { waitFor, type WaitOptions, type WaitStrategy, type WaitContext } from './strategy.ts';
export { waitForHealthy, type HealthWaitOptions } from './health.ts';
export type { HttpWaitOptions, LogWaitOptions, PortWaitOptions };

/**
 * Strategy constructors, for `run(image, name, { wait })` and `waitFor`.
 * @example await run('web', 'web1', { detach: true, network: {}, wait: Wait.forHttp({ port: 8080 }) });
 */
export const Wait = { forPort, forHttp, forLog, forHealthy } as const;

/**
 * Wait until a TCP connect to the container's port succeeds.
 * @example await waitForPort('db1', 5432, { timeoutMs: 10_000 });
 */
export async function waitForPort(name: string, port: number, opts: WaitOptions & PortWaitOptions = {}): Promise<void> {
  return waitFor(name, forPort(port, opts), opts);
}

/**
 * Wait until the container answers HTTP with the expected status (default: any 2xx).
 * @example await waitForHttp('web1', { port: 8080, path: '/health', status: 200, timeoutMs: 5000 });
 */
export async function waitForHttp(name: string, opts: WaitOptions & HttpWaitOptions): Promise<void> {
  return waitFor(name, forHttp(opts), opts);
}

/**
 * Wait until `times` lines of the container's log match (a string matches literally), following the log.
 * @example await waitForLog('web1', /listening on/, { timeoutMs: 5000 });
 */
export async function waitForLog(
  name: string,
  pattern: RegExp | string,
  opts: WaitOptions & LogWaitOptions = {},
): Promise<void> {
  return waitFor(name, forLog(pattern, opts), opts);
}
