/** The handle `run` returns: a container's verbs bound to its name and state root (built in container.ts). */
import type { Readable, Writable } from 'node:stream';
import type { ContainerInfo, ExecResult } from '../types.ts';
import type { CopyOptions } from '../volume/copy.ts';
import type { LogLines, LogsOptions } from '../logs/logs.ts';
import type { ExecOptions } from './exec.ts';
import type { ExecProcess, ExecStreamOptions } from './exec-stream.ts';
import type { StopResult } from './stop.ts';
import type { StopOptions } from './container.ts';
import type {
  HealthWaitOptions,
  HttpWaitOptions,
  LogWaitOptions,
  PortWaitOptions,
  WaitOptions,
  WaitStrategy,
} from './wait/index.ts';

/**
 * A container started by `run`: its verbs bound to its name and state root.
 * @example
 * await using c = await run('web', 'web1', { detach: true, network: {} });
 * await c.waitForHttp({ port: 8080 });
 */
export interface Container {
  name: string;
  /** The container's PID 1 on the host (null if it already ended). */
  pid: number | null;
  /** Its address once a network was added at start. */
  ip: string | null;
  /** Attached runs: the command's exit code. */
  exitCode: number | null;
  oomKilled: boolean;
  stdout?: string;
  stderr?: string;
  /** `dryRun`: each host change run would make, as shell lines (the container was not made). */
  plan?: string[];
  /**
   * Its status, read from the kernel now (see `inspect`).
   * @example (await c.status()).status; // 'running'
   */
  status(): Promise<ContainerInfo>;
  /**
   * `exec` in this container: the command's output and exit code, whatever the code.
   * @example const { exitCode, stdout } = await c.exec(['cat', '/etc/hostname']);
   */
  exec(command: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * `exec` streamed: stdout and stderr as streams, stdin from one, `exit` a promise (see `execStream`).
   * @example const p = await c.execStream(['tail', '-f', '/var/log/app.log'], { signal: AbortSignal.timeout(5000) });
   */
  execStream(command: string[], opts?: Omit<ExecStreamOptions, 'root'>): Promise<ExecProcess>;
  /**
   * `stop`: the stop signal, SIGKILL after the timeout, then everything it made removed.
   * @example const { exitCode } = await c.stop({ timeoutSeconds: 2 });
   */
  stop(opts?: StopOptions): Promise<StopResult>;
  /**
   * Its log: iterate for lines, `await` for the text (see `logs`).
   * @example for await (const line of c.logs({ tail: 10 })) console.log(line);
   */
  logs(opts?: Omit<LogsOptions, 'root'>): LogLines;
  /**
   * The log as a byte stream, read as it is consumed.
   * @example c.logStream().pipe(process.stdout);
   */
  logStream(): Readable;
  /**
   * Resolve once the log matches (followed, not re-read); a number is timeoutMs (default 60 s).
   * @example await c.waitForLog(/listening on/, { times: 1, timeoutMs: 5000 });
   */
  waitForLog(pattern: RegExp | string, opts?: number | (Omit<WaitOptions, 'root'> & LogWaitOptions)): Promise<void>;
  /**
   * Resolve once a TCP connect to this port of the container succeeds (see `waitForPort`).
   * @example await c.waitForPort(5432, { timeoutMs: 10_000 });
   */
  waitForPort(port: number, opts?: Omit<WaitOptions, 'root'> & PortWaitOptions): Promise<void>;
  /**
   * Resolve once the container answers HTTP with the expected status (see `waitForHttp`).
   * @example await c.waitForHttp({ port: 8080, path: '/health', status: 200 });
   */
  waitForHttp(opts: Omit<WaitOptions, 'root'> & HttpWaitOptions): Promise<void>;
  /**
   * Resolve once a strategy holds (see `Wait`).
   * @example await c.waitFor(Wait.forLog('ready'), { signal: AbortSignal.timeout(30_000) });
   */
  waitFor(strategy: WaitStrategy, opts?: Omit<WaitOptions, 'root'>): Promise<void>;
  /**
   * Resolve once its healthcheck reports healthy (the monitor probes; this reads the record).
   * @example await c.waitForHealthy({ timeoutMs: 60_000 });
   */
  waitForHealthy(opts?: Omit<WaitOptions, 'root'> & HealthWaitOptions): Promise<void>;
  /**
   * `cp SRC container:DST` (a host path or a tar stream).
   * @example await c.copyTo('./config.json', '/etc/app/config.json');
   */
  copyTo(src: string | Readable, dst: string, opts?: CopyOptions): Promise<void>;
  /**
   * `cp container:SRC DST` (a host path or a Writable for the tar stream).
   * @example await c.copyFrom('/var/log/app.log', './app.log');
   */
  copyFrom(src: string, dst: string | Writable, opts?: CopyOptions): Promise<void>;
  /**
   * `await using c = await run(...)`: stopped and removed when the block ends, also on a throw.
   * @example await c[Symbol.asyncDispose](); // what the end of an `await using` block calls
   */
  [Symbol.asyncDispose](): Promise<void>;
}
