/**
 * The one module that starts host processes. Two doors:
 * - `sh(argv)`: a tool call whose output or exit code we read. Built on node:child_process so the
 *   hot paths (run, exec, ps, stop) never pay zx's ~120 ms import.
 * - `zx()`: zx's `$` shell template, loaded on first use, with every interpolated value guarded
 *   (zx turns `${undefined}` into the word "undefined" silently). For scripts and cold paths.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { CommandError, ConductorError } from './errors.ts';

export interface ShOptions {
  /** Bytes or text written to the child's stdin, then closed. */
  input?: string | Uint8Array;
  /** Do not throw on a non-zero exit; the caller inspects exitCode. */
  nothrow?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Stream the child's stdout/stderr chunks here as well as collecting them. */
  onOutput?: (chunk: Buffer) => void;
  /** Kill the child (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
}

export interface ShResult {
  argv: readonly string[];
  stdout: string;
  stderr: string;
  exitCode: number;
  signal: NodeJS.Signals | null;
}

const TOOL_PACKAGE: Record<string, string> = {
  debootstrap: 'debootstrap',
  iptables: 'iptables',
  'iptables-restore': 'iptables',
  'iptables-save': 'iptables',
  ip: 'iproute2',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  cp: 'coreutils',
  gpgv: 'gpgv',
};

function guard(argv: readonly unknown[]): string[] {
  if (argv.length === 0) throw new ConductorError('INVALID_ARGUMENT', 'empty command');
  return argv.map((a, i) => {
    if (typeof a !== 'string' && typeof a !== 'number') {
      throw new ConductorError('INVALID_ARGUMENT', `argument ${i} of "${String(argv[0])}" is ${String(a)}`);
    }
    return String(a);
  });
}

export function missingTool(tool: string): ConductorError {
  const pkg = TOOL_PACKAGE[tool] ?? tool;
  return new ConductorError('MISSING_TOOL', `"${tool}" is not installed`, { hint: `apt-get install ${pkg}` });
}

/** Run argv (no shell) and collect its output. Throws CommandError on a non-zero exit unless nothrow. */
export function sh(argvIn: readonly (string | number)[], opts: ShOptions = {}): Promise<ShResult> {
  const argv = guard(argvIn);
  return new Promise((resolve, reject) => {
    const so: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd };
    const child = spawn(argv[0]!, argv.slice(1), so);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout!.on('data', (c: Buffer) => { out.push(c); opts.onOutput?.(c); });
    child.stderr!.on('data', (c: Buffer) => { err.push(c); opts.onOutput?.(c); });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(e.code === 'ENOENT' ? missingTool(argv[0]!) : new CommandError(argv, null, String(e), e));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const res: ShResult = {
        argv,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        exitCode: code ?? 128 + (signal ? signalNumber(signal) : 0),
        signal,
      };
      if (res.exitCode !== 0 && !opts.nothrow) reject(new CommandError(argv, res.exitCode, res.stderr));
      else resolve(res);
    });
    child.stdin!.on('error', () => {}); // a child that exits without reading its stdin is not our failure
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
export function signalNumber(sig: NodeJS.Signals): number {
  return SIGNALS[sig] ?? 0;
}

type Dollar = typeof import('zx/core').$;
let dollar: Dollar | undefined;

/**
 * zx's `$`, quiet, loaded once. Values are checked before zx sees them.
 * @example const $ = await zx(); await $`ip -j addr show dev ${iface}`;
 */
export async function zx(): Promise<(pieces: TemplateStringsArray, ...values: unknown[]) => ReturnType<Dollar>> {
  if (!dollar) {
    const core = await import('zx/core');
    dollar = core.$({ quiet: true, verbose: false }) as unknown as Dollar;
  }
  const $ = dollar;
  return (pieces, ...values) => {
    values.forEach((v, i) => {
      const bad = v === undefined || v === null || (Array.isArray(v) && v.some((x) => x === undefined || x === null));
      if (bad) throw new ConductorError('INVALID_ARGUMENT', `shell template value ${i} is ${String(v)} near "${pieces[i]?.trim()}"`);
    });
    return $(pieces, ...(values as string[]));
  };
}
