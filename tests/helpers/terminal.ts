/**
 * The admin's terminal for root integration tests: a real pty (tests/helpers/pty-driver.py) with a
 * command on it as the session's foreground job, typed into and resized from the test.
 *
 *   const t = openTerminal(['sh', '-c', script], env, { rows: 30, cols: 100 });
 *   await t.waitFor(/\$ $/);
 *   t.type('echo hi\r');
 *   t.resize(40, 120);
 *   const code = await t.exit;
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DRIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pty-driver.py');

export interface Terminal {
  /** Everything shown so far. */
  screen(): string;
  type(text: string): void;
  resize(rows: number, cols: number): void;
  /**
   * Resolves with the first match in what the terminal shows (from `from` on); rejects after timeoutMs with the screen.
   */
  waitFor(re: RegExp, opts?: { timeoutMs?: number; from?: number }): Promise<RegExpExecArray>;
  /** The command's exit code (once nothing holds the terminal any more). */
  exit: Promise<number>;
  /** The terminal's settings (termios, as JSON), now or before the command started. */
  termios(which?: 'now' | 'initial'): Promise<string>;
  /** SIGKILL the driver (and so hang up the terminal) if it still runs. */
  kill(): void;
}

export function openTerminal(
  argv: string[],
  env: NodeJS.ProcessEnv,
  size = { rows: 30, cols: 100 },
  timeoutMs = 90_000,
): Terminal {
  const child = spawn('python3', [DRIVER, String(size.rows), String(size.cols), '--', ...argv], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    screen += d.toString('latin1');
    for (const w of [...waiters]) w();
  });
  child.stdin!.on('error', () => {});
  // stderr: one JSON line per termios request, in order; anything else is the driver failing.
  const replies: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    let nl: number;
    while ((nl = err.indexOf('\n')) >= 0) {
      const line = err.slice(0, nl);
      err = err.slice(nl + 1);
      const r = replies.shift();
      if (r && line.startsWith('[')) r.resolve(line);
      else process.stderr.write(`pty-driver: ${line}\n`);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      for (const w of [...waiters]) w();
      for (const r of replies.splice(0))
        r.reject(new Error(`terminal closed before a termios reply; screen:\n${screen}`));
      resolve(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15));
    });
  });
  const send = (line: string) => child.stdin!.write(`${line}\n`);
  return {
    screen: () => screen,
    type: (text) => send(`type ${Buffer.from(text, 'latin1').toString('hex')}`),
    resize: (rows, cols) => send(`resize ${rows} ${cols}`),
    waitFor(re, opts = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = new RegExp(re.source, re.flags.replace('g', '')).exec(screen.slice(opts.from ?? 0));
          if (m) return done(() => resolve(m));
          if (child.exitCode !== null || child.signalCode !== null)
            return done(() => reject(new Error(`terminal closed before ${re}; screen:\n${screen}`)));
        };
        const t = setTimeout(
          () => done(() => reject(new Error(`timed out waiting for ${re}; screen:\n${screen}`))),
          opts.timeoutMs ?? 30_000,
        );
        const done = (f: () => void) => {
          clearTimeout(t);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    exit,
    termios: (which = 'now') =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error('terminal closed'));
        replies.push({ resolve, reject });
        send(which === 'now' ? 'termios' : 'termios-initial');
      }),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Quote one word for sh. */
export const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A sh command line from argv words. */
export const shLine = (argv: string[]) => argv.map(sq).join(' ');
