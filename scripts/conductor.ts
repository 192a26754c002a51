#!/usr/bin/env node
/** The CLI: parse argv, call one SDK function, print, exit with a code. */
import { pipeline } from 'node:stream/promises';
import { COMMANDS, type Command, type Io } from './cli/commands.ts';
import { parseArgs, UsageError, type OptionSpec } from './cli/args.ts';
import * as sdk from '../sdk/index.ts';
import { BuildError, colorize, createLogger, isConductorError, loadColors } from '../sdk/index.ts';

/**
 * The command this call resolved to, read by dist/conductor.cjs (scripts/cli-loader.cts) at exit: it
 * keeps a code cache per real command only, never per typo or image name.
 * @example if (invoked.command === 'run') writeCache('run');
 */
export const invoked: { command?: string } = {};

const HELP_OPT: OptionSpec = { long: 'help', short: 'h', help: 'show this help' };

function usageOf(c: Command): string {
  const opts = c.options.map((o) => {
    const flags = [o.short ? `-${o.short}` : '', `--${o.long}${o.value ? ` ${o.metavar ?? 'VALUE'}` : ''}`]
      .filter(Boolean)
      .join(', ');
    return `  ${flags.padEnd(30)} ${o.help}`;
  });
  return [
    `usage: conductor ${c.usage}`,
    '',
    `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`,
    ...(opts.length ? ['', 'options:', ...opts] : []),
    '',
  ].join('\n');
}

function mainHelp(): string {
  const rows = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`);
  return [
    'usage: conductor <command> [options] [args]',
    '       conductor <image> <container> [-- command args...]   (same as run)',
    '',
    'commands:',
    ...rows,
    `  ${'help'.padEnd(12)} show help for a command`,
    '',
    'Run `conductor <command> --help` for its options. State lives under $CONDUCTOR_ROOT (default: the package root).',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  await loadColors();
  const io: Io = {
    sdk,
    out: (s) => process.stdout.write(s),
    pipeOut: (r) => pipeline(r, process.stdout, { end: false }),
    log: createLogger(),
  };
  let [cmdName, ...rest] = argv;
  if (cmdName === undefined || cmdName === '--help' || cmdName === '-h') {
    process.stdout.write(mainHelp());
    return cmdName === undefined ? 2 : 0;
  }
  if (cmdName === 'help') {
    const c = rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(c ? usageOf(c) : mainHelp());
    return rest[0] && !c ? 2 : 0;
  }
  // The original tool's form: `conductor <image> <container> -- cmd` means run.
  if (!COMMANDS[cmdName] && argv.length >= 2 && !cmdName.startsWith('-') && !COMMANDS[argv[1]!]) {
    rest = argv;
    cmdName = 'run';
  }
  const cmd = COMMANDS[cmdName];
  if (!cmd) {
    process.stderr.write(`conductor: unknown command "${cmdName}"\n\n${mainHelp()}`);
    return 2;
  }
  invoked.command = cmdName;
  try {
    const parsed = parseArgs(rest, [...cmd.options, HELP_OPT], cmd.commandAfter);
    if (parsed.options.help) {
      process.stdout.write(usageOf(cmd));
      return 0;
    }
    return await cmd.handler(parsed, io);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`conductor ${cmdName}: ${e.message}\nusage: conductor ${cmd.usage}\n`);
      return 2;
    }
    if (process.env.CONDUCTOR_DEBUG === '1') process.stderr.write(`${(e as Error).stack}\n`);
    if (isConductorError(e)) {
      io.log.error(e.message);
      return e instanceof BuildError && e.exitCode === 130 ? 130 : 125;
    }
    process.stderr.write(colorize('red', `error: ${(e as Error).message ?? String(e)}`) + '\n');
    return 125;
  }
}

// exitCode, never process.exit: on POSIX, process.stdout and stderr write to a pipe asynchronously
// once its buffer is full, and process.exit would drop what is still queued (`inspect` of 64 KB
// into a slow reader lost its last 2 KB); a natural exit first flushes it.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`conductor: ${String(e)}\n`);
    process.exitCode = 125;
  },
);
