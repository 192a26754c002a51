/** The command table: usage, summary, options and a handler that calls ONE sdk function. */
import * as sdk from '../../sdk/index.ts';
import { flag, list, need, str, UsageError, type OptionSpec, type ParsedArgs } from './args.ts';
import { networkCommands } from './network-commands.ts';
import { ago, bytes, showCommand, table } from './format.ts';

export interface Io {
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

const JSON_OPT: OptionSpec = { long: 'json', help: 'print JSON' };
const DRY_RUN: OptionSpec = { long: 'dry-run', help: 'print each host change it would make, and make none' };
// Options that mean the same on run and exec, as in Docker.
const ENV_OPT: OptionSpec = { long: 'env', short: 'e', value: true, repeat: true, metavar: 'K=V', help: 'set an environment variable' };
const WORKDIR_OPT: OptionSpec = { long: 'workdir', short: 'w', value: true, metavar: 'DIR', help: 'working directory inside the container' };
const TTY_OPT: OptionSpec = { long: 'tty', short: 't', help: 'give the command a terminal of its own, joined to yours (TERM=xterm)' };

function limitsOf(o: ParsedArgs['options']): sdk.ResourceLimits {
  const l: sdk.ResourceLimits = {};
  if (str(o, 'memory') !== undefined) l.memory = sdk.parseMemory(str(o, 'memory')!);
  if (str(o, 'cpus') !== undefined) l.cpus = sdk.parseCpus(str(o, 'cpus')!);
  if (str(o, 'pids-limit') !== undefined) l.pids = sdk.parsePids(str(o, 'pids-limit')!);
  return l;
}

function seconds(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw new UsageError(`invalid timeout "${v}" (whole seconds)`);
  return Number(v);
}

const RUN_OPTIONS: OptionSpec[] = [
  { long: 'detach', short: 'd', help: 'run in the background and print the name' },
  { long: 'rm', help: 'remove the container when it exits' },
  ENV_OPT,
  WORKDIR_OPT,
  { long: 'hostname', value: true, metavar: 'NAME', help: 'hostname (default: the container name)' },
  { long: 'interactive', short: 'i', help: 'keep stdin connected' },
  TTY_OPT,
  { long: 'internet', help: 'add a network with NAT to the internet before the command starts' },
  { long: 'expose', value: true, repeat: true, metavar: 'IN-OUT', help: 'add a network publishing container port IN on host port OUT' },
  { long: 'allow-host', value: true, repeat: true, metavar: 'PORT', help: 'add a network and let the container reach host TCP port PORT' },
  { long: 'memory', value: true, metavar: 'SIZE', help: 'memory limit, e.g. 256m' },
  { long: 'cpus', value: true, metavar: 'N', help: 'CPU limit, e.g. 0.5' },
  { long: 'pids-limit', value: true, metavar: 'N', help: 'maximum number of processes' },
  { long: 'cap-add', value: true, repeat: true, metavar: 'CAP', help: 'add a capability' },
  { long: 'cap-drop', value: true, repeat: true, metavar: 'CAP', help: 'drop a capability' },
  { long: 'privileged', help: 'keep every capability, no /proc masking, no seccomp (unsafe)' },
  { long: 'security-opt', value: true, repeat: true, metavar: 'OPT', help: 'seccomp=unconfined, seccomp=default, or seccomp=FILE.json (a profile in Docker\'s format)' },
];

/** Docker's --security-opt, the seccomp part; the last one wins, as in Docker. */
function seccompOf(opts: string[]): sdk.SeccompOption | undefined {
  let s: sdk.SeccompOption | undefined;
  for (const o of opts) {
    const m = /^seccomp=(.+)$/.exec(o);
    if (!m) throw new UsageError(`unsupported security option "${o}" (supported: seccomp=unconfined, seccomp=FILE.json)`);
    s = m[1] === 'unconfined' || m[1] === 'default' ? m[1] : { profile: m[1]! };
  }
  return s;
}

async function runCommand(a: ParsedArgs, io: Io): Promise<number> {
  const [image, name] = need(a, 2, 'image and container names');
  const o = a.options;
  const expose = list(o, 'expose').map(sdk.parseExposeSpec);
  const allowHost = sdk.validateHostPorts(list(o, 'allow-host'));
  const network = flag(o, 'internet') || expose.length > 0 || allowHost.length > 0 ? { internet: flag(o, 'internet'), expose, allowHost } : undefined;
  const detach = flag(o, 'detach');
  const c = await sdk.run(image!, name!, {
    command: a.rest ?? [],
    detach,
    rm: flag(o, 'rm'),
    env: list(o, 'env'),
    workdir: str(o, 'workdir'),
    hostname: str(o, 'hostname'),
    interactive: flag(o, 'interactive') || (!detach && process.stdin.isTTY === true),
    tty: flag(o, 'tty'),
    network,
    limits: limitsOf(o),
    security: { privileged: flag(o, 'privileged'), capAdd: list(o, 'cap-add'), capDrop: list(o, 'cap-drop'), seccomp: seccompOf(list(o, 'security-opt')) },
    log: io.log,
  });
  if (detach) {
    io.out(`${c.name}\n`);
    return 0;
  }
  if (c.oomKilled) io.log.warn(`container "${c.name}" was killed: out of memory`);
  return c.exitCode ?? 0;
}

export const COMMANDS: Record<string, Command> = {
  build: {
    usage: 'build <image> [conductorfile] [--context DIR] [--no-cache] [--network host] [-q]',
    summary: 'build an image from a Conductorfile (default ./Conductorfile)',
    options: [
      { long: 'context', value: true, metavar: 'DIR', help: 'build context (default: the current directory)' },
      { long: 'no-cache', help: 'rebuild every layer' },
      { long: 'network', value: true, metavar: 'MODE', help: "'host': RUN steps use the host's network (default: their own, NAT to the internet)" },
      { long: 'quiet', short: 'q', help: 'print only errors' },
    ],
    async handler(a, io) {
      if (a.positionals.length < 1 || a.positionals.length > 2) throw new UsageError('expected <image> [conductorfile]');
      const [name, file] = a.positionals;
      const netOpt = str(a.options, 'network');
      if (netOpt !== undefined && netOpt !== 'host' && netOpt !== 'nat') throw new UsageError(`invalid --network "${netOpt}" (use host, or nat: the default)`);
      const log = flag(a.options, 'quiet') ? sdk.createLogger({ quiet: true }) : io.log;
      const ac = new AbortController();
      const onSig = () => ac.abort();
      process.on('SIGINT', onSig);
      process.on('SIGTERM', onSig);
      try {
        await sdk.buildImage(name!, { file: file ?? 'Conductorfile', context: str(a.options, 'context'), noCache: flag(a.options, 'no-cache'), network: netOpt as 'nat' | 'host' | undefined, log, signal: ac.signal });
      } finally {
        process.off('SIGINT', onSig);
        process.off('SIGTERM', onSig);
      }
      return 0;
    },
  },
  images: {
    usage: 'images [--json]',
    summary: 'list images',
    options: [JSON_OPT],
    async handler(a, io) {
      need(a, 0, '');
      const imgs = await sdk.images();
      if (flag(a.options, 'json')) io.out(JSON.stringify(imgs, null, 2) + '\n');
      else io.out(table(['NAME', 'BASE', 'LAYERS', 'SIZE', 'CREATED'], imgs.map((i) => [i.name, `${i.base.distro}:${i.base.suite}`, String(i.layers.length), bytes(i.size), ago(i.createdAt)])));
      return 0;
    },
  },
  rmi: {
    usage: 'rmi <image> [--dry-run]',
    summary: 'remove an image and the layers no other image uses',
    options: [DRY_RUN],
    async handler(a, io) {
      const [name] = need(a, 1, 'image name');
      const r = await sdk.removeImage(name!, { dryRun: flag(a.options, 'dry-run') });
      if (r.plan) io.out(r.plan.join('\n') + '\n');
      else io.log.info(`removed image "${name}" (${r.removedLayers} unused layers deleted)`);
      for (const k of r.kept) io.log.info(`kept ${k}`);
      return 0;
    },
  },
  rmcache: {
    usage: 'rmcache [--all]',
    summary: 'remove cached bases and layers that no image uses (--all: images too)',
    options: [{ long: 'all', help: 'also remove every image' }],
    async handler(a, io) {
      need(a, 0, '');
      const r = await sdk.removeCache({ all: flag(a.options, 'all') });
      io.log.info(`removed ${r.removedLayers} unused layers, ${r.removedBases.length} bases${r.removedBases.length ? ` (${r.removedBases.join(', ')})` : ''}`);
      for (const k of r.kept) io.log.info(`kept ${k}`);
      return 0;
    },
  },
  run: {
    usage: 'run <image> <container> [options] [-- command args...]',
    summary: 'start a container (default command /bin/bash)',
    options: RUN_OPTIONS,
    commandAfter: 2,
    handler: runCommand,
  },
  ps: {
    usage: 'ps [-a] [--json]',
    summary: 'list running containers (-a: all)',
    options: [{ long: 'all', short: 'a', help: 'include exited containers' }, JSON_OPT],
    async handler(a, io) {
      need(a, 0, '');
      const list_ = await sdk.ps({ all: flag(a.options, 'all') });
      if (flag(a.options, 'json')) {
        io.out(JSON.stringify(list_, null, 2) + '\n');
        return 0;
      }
      io.out(
        table(
          ['NAME', 'IMAGE', 'STATUS', 'PID', 'IP', 'PORTS', 'COMMAND', 'CREATED'],
          list_.map((c) => [
            c.name,
            c.image,
            c.status === 'exited' ? `exited (${c.exitCode ?? '?'})` : c.status,
            c.pid === null ? '-' : String(c.pid),
            c.ip ?? '-',
            c.ports.map((p) => `${p.host}->${p.container}/tcp`).join(',') || '-',
            showCommand(c.command).slice(0, 40),
            ago(c.createdAt),
          ]),
        ),
      );
      return 0;
    },
  },
  stop: {
    usage: 'stop <container>... [-t SECONDS] [--all] [--ignore] [--dry-run]',
    summary: 'stop containers and remove all they made',
    options: [
      { long: 'time', short: 't', value: true, metavar: 'SECONDS', help: 'wait this long after SIGTERM before SIGKILL (default 10)' },
      { long: 'all', help: 'stop every container' },
      { long: 'ignore', help: 'a missing container is not an error' },
      DRY_RUN,
    ],
    async handler(a, io) {
      const names = flag(a.options, 'all') ? (await sdk.ps({ all: true })).map((c) => c.name) : a.positionals;
      if (names.length === 0 && !flag(a.options, 'all')) throw new UsageError('missing container name');
      const timeoutSeconds = seconds(str(a.options, 'time'), 10);
      for (const name of names) {
        const dryRun = flag(a.options, 'dry-run');
        const r = await sdk.stop(name, { timeoutSeconds, ignoreMissing: flag(a.options, 'ignore'), leaveCreating: flag(a.options, 'all'), dryRun });
        if (dryRun && r.plan) io.out(r.plan.join('\n') + '\n');
        else if (r.skipped === 'creating') io.log.info(`${name}: still being created, left alone`);
        else if (r.killed) io.out(`${name} killed after ${timeoutSeconds} s (${r.exitCode ?? 137})\n`);
        else io.out(`${name} stopped: ${r.exitCode === null ? 'not running' : `exit ${r.exitCode}`}${r.oomKilled ? ' (out of memory)' : ''}\n`);
      }
      return 0;
    },
  },
  exec: {
    usage: 'exec <container> [-d] [-e K=V] [-w DIR] [-t] [-i] [--] [command args...]',
    summary: 'run a command in a running container (default /bin/bash)',
    options: [
      { long: 'detach', short: 'd', help: 'start it and return' },
      ENV_OPT,
      WORKDIR_OPT,
      TTY_OPT,
      { long: 'interactive', short: 'i', help: 'keep stdin connected (always on)' },
    ],
    commandAfter: 1,
    async handler(a, io) {
      if (a.positionals.length !== 1) throw new UsageError(a.positionals.length === 0 ? 'missing container name' : `unexpected argument "${a.positionals[1]}"`);
      const r = await sdk.exec(a.positionals[0]!, a.rest ?? [], {
        detach: flag(a.options, 'detach'),
        env: list(a.options, 'env'),
        workdir: str(a.options, 'workdir'),
        tty: flag(a.options, 'tty'),
        stdio: 'inherit',
        log: io.log,
      });
      return r.exitCode;
    },
  },
  logs: {
    usage: 'logs <container> [-f]',
    summary: "print a detached container's output (-f: follow)",
    options: [{ long: 'follow', short: 'f', help: 'keep printing until the container stops' }],
    async handler(a, io) {
      const [name] = need(a, 1, 'container name');
      if (!flag(a.options, 'follow')) {
        await io.pipeOut(sdk.logStream(name!));
        return 0;
      }
      const { followLogs } = await import('./follow.ts');
      return followLogs(name!, io);
    },
  },
  inspect: {
    usage: 'inspect <container> [--json] [--format KEY]',
    summary: 'show a container (fields: name image status pid exitCode ip ports command createdAt limits ...)',
    options: [JSON_OPT, { long: 'format', short: 'f', value: true, metavar: 'KEY', help: 'print one field bare' }],
    async handler(a, io) {
      const [name] = need(a, 1, 'container name');
      const info = await sdk.inspect(name!);
      const key = str(a.options, 'format');
      if (key !== undefined) {
        if (!(key in info)) throw new UsageError(`unknown field "${key}" (fields: ${Object.keys(info).join(', ')})`);
        const v = (info as unknown as Record<string, unknown>)[key];
        io.out(`${v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
      } else if (flag(a.options, 'json')) io.out(JSON.stringify(info, null, 2) + '\n');
      else for (const [k, v] of Object.entries(info)) io.out(`${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`);
      return 0;
    },
  },
  ...networkCommands,
  prune: {
    usage: 'prune [--dry-run]',
    summary: 'remove what exited or half-created containers left behind',
    options: [DRY_RUN],
    async handler(a, io) {
      need(a, 0, '');
      const r = await sdk.prune({ dryRun: flag(a.options, 'dry-run') });
      io.out((r.plan ?? r.removed).map((l) => `${l}\n`).join(''));
      io.log.info(`${r.plan ? 'would prune' : 'pruned'} ${r.removed.length} containers`);
      for (const n of r.creating) io.log.info(`kept "${n}": still being created`);
      return 0;
    },
  },
};
