/** What every command module shares: the Io and Command shapes, positional checks, inspect's printer. */
import type * as sdk from '../../sdk/index.ts';
import { flag, str, UsageError, type OptionSpec, type ParsedArgs } from './args.ts';

/** The SDK as the handlers use it: the real module in the CLI, a fake one in unit tests. */
export type Sdk = typeof sdk;

export interface Io {
  /** The SDK verbs the handlers call (pure helpers such as parseMemory are used directly). */
  sdk: Sdk;
  out(s: string): void;
  /** Copy a stream to stdout, at the pace stdout takes it. */
  pipeOut(r: NodeJS.ReadableStream): Promise<void>;
  log: sdk.Logger;
}

export interface Command {
  usage: string;
  summary: string;
  options: OptionSpec[];
  /** Without `--`, argv from this positional on is the container's command. */
  commandAfter?: number;
  handler(a: ParsedArgs, io: Io): Promise<number>;
}

export const DRY_RUN: OptionSpec = { long: 'dry-run', help: 'print each host change it would make, and make none' };

export function need(a: ParsedArgs, n: number, what: string): string[] {
  if (a.positionals.length < n) throw new UsageError(`missing ${what}`);
  if (a.positionals.length > n) throw new UsageError(`unexpected argument "${a.positionals[n]}"`);
  return a.positionals;
}

export const JSON_OPT: OptionSpec = { long: 'json', help: 'print JSON' };
export const FORMAT_OPT: OptionSpec = {
  long: 'format',
  short: 'f',
  value: true,
  metavar: 'KEY',
  help: 'print one field bare (a.b for a nested one, e.g. config.cmd)',
};

/** inspect's output: one field (`--format config.cmd`), JSON, or `key: value` lines. */
export function printInspect(info: object, a: ParsedArgs, io: Io): void {
  const key = str(a.options, 'format');
  if (key !== undefined) {
    let v: unknown = info;
    for (const part of key.split('.')) {
      if (v === null || typeof v !== 'object' || !(part in v))
        throw new UsageError(`unknown field "${key}" (fields: ${Object.keys(info).join(', ')})`);
      v = (v as Record<string, unknown>)[part];
    }
    io.out(`${v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
  } else if (flag(a.options, 'json')) io.out(JSON.stringify(info, null, 2) + '\n');
  else
    for (const [k, v] of Object.entries(info))
      io.out(`${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
}
