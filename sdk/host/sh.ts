/**
 * The one module that runs host tools, on zx's `$` shell template: every argument is quoted by zx,
 * and every value is checked here first (zx turns `${undefined}` into the word "undefined").
 * zx is loaded on first use (~120 ms), so the paths that never run a tool (ps, exec, a `run`
 * without a network) never pay for it; container processes themselves need extra file
 * descriptors and are started with node:child_process in launcher.ts and exec.ts.
 */
import { CommandError, ConductorError } from '../errors.ts';
import { exitCodeOf } from './signals.ts';

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
  if (argv.length === 0) throw new ConductorError('INTERNAL', 'empty command');
  return argv.map((a, i) => {
    if (typeof a !== 'string' && typeof a !== 'number') {
      throw new ConductorError('INTERNAL', `argument ${i} of "${String(argv[0])}" is ${String(a)}`);
    }
    return String(a);
  });
}

export function missingTool(tool: string): ConductorError {
  const pkg = TOOL_PACKAGE[tool] ?? tool;
  return new ConductorError('MISSING_TOOL', `"${tool}" is not installed`, { hint: `apt-get install ${pkg}` });
}

type Dollar = typeof import('zx/core').$;
let dollar: Dollar | undefined;

async function loadZx(): Promise<Dollar> {
  dollar ??= (await import('zx/core')).$;
  return dollar;
}

/**
 * Run a tool and collect its output. Throws CommandError on a non-zero exit unless nothrow.
 * @example const { stdout } = await sh(['ip', '-j', 'route']);
 */
export async function sh(argvIn: readonly (string | number)[], opts: ShOptions = {}): Promise<ShResult> {
  const argv = guard(argvIn);
  const $ = await loadZx();
  const run = $({
    quiet: true,
    verbose: false,
    nothrow: true,
    input: opts.input === undefined ? undefined : Buffer.from(opts.input),
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs, timeoutSignal: 'SIGKILL' as const } : {}),
  });
  const p = run`${argv}`;
  if (opts.onOutput) {
    p.stdout.on('data', (c: Buffer) => opts.onOutput!(c));
    p.stderr.on('data', (c: Buffer) => opts.onOutput!(c));
  }
  const out = await p;
  const res: ShResult = {
    argv,
    stdout: out.stdout,
    stderr: out.stderr,
    exitCode: exitCodeOf(out.exitCode, out.signal),
    signal: out.signal,
  };
  // The shell zx runs says "command not found" (127) for a tool that is not installed.
  if (res.exitCode === 127 && /not found/.test(res.stderr) && !res.stdout) throw missingTool(argv[0]!);
  if (res.exitCode !== 0 && !opts.nothrow) throw new CommandError(argv, res.exitCode, res.stderr);
  return res;
}
