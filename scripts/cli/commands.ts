/** The command table: usage, summary, options and a handler that calls ONE sdk function. */
import { isatty } from 'node:tty';
import * as sdk from '../../sdk/index.ts';
import { flag, list, str, UsageError, type OptionSpec, type ParsedArgs } from './args.ts';
import { ago, statusCell, table } from './format.ts';
import { CP_COMMAND, MOUNT_OPTIONS, mountsOf, VOLUME_COMMAND } from './volume-commands.ts';
import { IMAGE_COMMANDS } from './image-commands.ts';
import { DRY_RUN, FORMAT_OPT, JSON_OPT, need, printInspect, type Command, type Io } from './common.ts';
import { LOG_COMMANDS } from './log-commands.ts';
import { OCI_COMMANDS } from './oci-commands.ts';
import { networkCommands } from './network-commands.ts';
import { REMOVE_COMMANDS } from './remove-commands.ts';
import { GENERATE_COMMANDS } from './generate-commands.ts';
import { HEALTH_COMMANDS, HEALTH_OPTIONS, healthOf } from './health-commands.ts';

// Options that mean the same on run and exec, as in Docker.
const ENV_OPT: OptionSpec = {
  long: 'env',
  short: 'e',
  value: true,
  repeat: true,
  metavar: 'K=V',
  help: 'set an environment variable',
};
const WORKDIR_OPT: OptionSpec = {
  long: 'workdir',
  short: 'w',
  value: true,
  metavar: 'DIR',
  help: 'working directory inside the container',
};
const TTY_OPT: OptionSpec = {
  long: 'tty',
  short: 't',
  help: 'give the command a terminal of its own, joined to yours (TERM=xterm)',
};
const USER_OPT: OptionSpec = {
  long: 'user',
  short: 'u',
  value: true,
  metavar: 'USER[:GROUP]',
  help: "run as this user (name or uid, from the image's /etc/passwd; default: the image's USER)",
};

function limitsOf(o: ParsedArgs['options']): sdk.ResourceLimits {
  const l: sdk.ResourceLimits = {};
  if (str(o, 'memory') !== undefined) l.memory = sdk.parseMemory(str(o, 'memory')!);
  if (str(o, 'cpus') !== undefined) l.cpus = sdk.parseCpus(str(o, 'cpus')!);
  if (str(o, 'pids-limit') !== undefined) l.pids = sdk.parsePids(str(o, 'pids-limit')!);
  return l;
}

const RUN_OPTIONS: OptionSpec[] = [
  { long: 'detach', short: 'd', help: 'run in the background and print the name' },
  { long: 'rm', help: 'remove the container when it exits' },
  ENV_OPT,
  WORKDIR_OPT,
  USER_OPT,
  {
    long: 'entrypoint',
    value: true,
    metavar: 'CMD',
    help: "replace the image's ENTRYPOINT (and drop its CMD); '' clears it",
  },
  {
    long: 'stop-signal',
    value: true,
    metavar: 'SIG',
    help: "what stop sends first (default: the image's STOPSIGNAL, else SIGTERM)",
  },
  {
    long: 'restart',
    value: true,
    metavar: 'POLICY',
    help: 'with -d: no, on-failure[:N], always or unless-stopped (backoff from 100 ms; stop ends it)',
  },
  { long: 'hostname', value: true, metavar: 'NAME', help: 'hostname (default: the container name)' },
  { long: 'interactive', short: 'i', help: 'keep stdin connected' },
  TTY_OPT,
  {
    long: 'network',
    value: true,
    metavar: 'MODE',
    help: 'bridge: add a network before the command starts (--internet, --expose, --allow-host imply it); none',
  },
  { long: 'internet', help: 'add a network with NAT to the internet before the command starts' },
  {
    long: 'expose',
    value: true,
    repeat: true,
    metavar: 'IN-OUT',
    help: 'add a network publishing container port IN on host port OUT',
  },
  {
    long: 'allow-host',
    value: true,
    repeat: true,
    metavar: 'PORT',
    help: 'add a network and let the container reach host TCP port PORT',
  },
  { long: 'memory', value: true, metavar: 'SIZE', help: 'memory limit, e.g. 256m' },
  { long: 'cpus', value: true, metavar: 'N', help: 'CPU limit, e.g. 0.5' },
  { long: 'pids-limit', value: true, metavar: 'N', help: 'maximum number of processes' },
  { long: 'cap-add', value: true, repeat: true, metavar: 'CAP', help: 'add a capability' },
  { long: 'cap-drop', value: true, repeat: true, metavar: 'CAP', help: 'drop a capability' },
  { long: 'privileged', help: 'keep every capability, no /proc masking, no seccomp (unsafe)' },
  {
    long: 'security-opt',
    value: true,
    repeat: true,
    metavar: 'OPT',
    help: "seccomp=unconfined, seccomp=default, or seccomp=FILE.json (a profile in Docker's format)",
  },
  ...MOUNT_OPTIONS,
  ...HEALTH_OPTIONS,
  DRY_RUN,
];

/** Docker's --security-opt, the seccomp part; the last one wins, as in Docker. */
function seccompOf(opts: string[]): sdk.SeccompOption | undefined {
  let s: sdk.SeccompOption | undefined;
  for (const o of opts) {
    const m = /^seccomp=(.+)$/.exec(o);
    if (!m)
      throw new UsageError(`unsupported security option "${o}" (supported: seccomp=unconfined, seccomp=FILE.json)`);
    s = m[1] === 'unconfined' || m[1] === 'default' ? m[1] : { profile: m[1]! };
  }
  return s;
}

async function runCommand(a: ParsedArgs, io: Io): Promise<number> {
  const [image, name] = need(a, 2, 'image and container names');
  const o = a.options;
  const expose = list(o, 'expose').map(sdk.parseExposeSpec);
  const allowHost = sdk.validateHostPorts(list(o, 'allow-host'));
  const mode = str(o, 'network') ?? 'none';
  if (mode !== 'bridge' && mode !== 'none') throw new UsageError(`invalid --network "${mode}" (bridge or none)`);
  if (str(o, 'network') === 'none' && (flag(o, 'internet') || expose.length > 0 || allowHost.length > 0))
    throw new UsageError('--network none conflicts with --internet, --expose and --allow-host');
  const network =
    mode === 'bridge' || flag(o, 'internet') || expose.length > 0 || allowHost.length > 0
      ? { internet: flag(o, 'internet'), expose, allowHost }
      : undefined;
  const detach = flag(o, 'detach');
  const c = await io.sdk.run(image!, name!, {
    command: a.rest ?? [],
    detach,
    rm: flag(o, 'rm'),
    env: list(o, 'env'),
    workdir: str(o, 'workdir'),
    user: str(o, 'user'),
    // docker run --entrypoint takes one word; '' clears the image's.
    entrypoint:
      str(o, 'entrypoint') === undefined ? undefined : str(o, 'entrypoint') === '' ? [] : [str(o, 'entrypoint')!],
    stopSignal: str(o, 'stop-signal'),
    restart: str(o, 'restart'),
    hostname: str(o, 'hostname'),
    // isatty(0), not process.stdin.isTTY: making process.stdin (a ReadStream when it is a file) loads
    // node's fs streams, fs/promises and readline, ~2 ms of every run.
    interactive: flag(o, 'interactive') || (!detach && isatty(0)),
    tty: flag(o, 'tty'),
    network,
    limits: limitsOf(o),
    mounts: mountsOf(o),
    readOnly: flag(o, 'read-only'),
    health: healthOf(o),
    security: {
      privileged: flag(o, 'privileged'),
      capAdd: list(o, 'cap-add'),
      capDrop: list(o, 'cap-drop'),
      seccomp: seccompOf(list(o, 'security-opt')),
    },
    log: io.log,
    dryRun: flag(o, 'dry-run'),
  });
  if (c.plan) {
    io.out(c.plan.join('\n') + '\n');
    return 0;
  }
  if (detach) {
    io.out(`${c.name}\n`);
    return 0;
  }
  if (c.oomKilled) io.log.warn(`container "${c.name}" was killed: out of memory`);
  return c.exitCode ?? 0;
}

export type { Command, Io } from './common.ts';

export const COMMANDS: Record<string, Command> = {
  ...IMAGE_COMMANDS,
  run: {
    usage: 'run <image> <container> [options] [-- command args...]',
    summary: "start a container (default: the image's ENTRYPOINT/CMD, else /bin/bash)",
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
      const list_ = await io.sdk.ps({ all: flag(a.options, 'all') });
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
            statusCell(c),
            c.pid === null ? '-' : String(c.pid),
            c.ip ?? '-',
            c.ports.map((p) => `${p.host}->${p.container}/tcp`).join(',') || '-',
            sdk.displayCommand(c.command).slice(0, 40),
            ago(c.createdAt),
          ]),
        ),
      );
      return 0;
    },
  },
  ...REMOVE_COMMANDS,
  exec: {
    usage: 'exec <container> [-d] [-e K=V] [-w DIR] [-u USER] [-t] [-i] [--dry-run] [--] [command args...]',
    summary: 'run a command in a running container (default /bin/bash)',
    options: [
      { long: 'detach', short: 'd', help: 'start it and return' },
      ENV_OPT,
      WORKDIR_OPT,
      USER_OPT,
      TTY_OPT,
      { long: 'interactive', short: 'i', help: 'keep stdin connected (always on)' },
      DRY_RUN,
    ],
    commandAfter: 1,
    async handler(a, io) {
      if (a.positionals.length !== 1)
        throw new UsageError(
          a.positionals.length === 0 ? 'missing container name' : `unexpected argument "${a.positionals[1]}"`,
        );
      const r = await io.sdk.exec(a.positionals[0]!, a.rest ?? [], {
        detach: flag(a.options, 'detach'),
        env: list(a.options, 'env'),
        workdir: str(a.options, 'workdir'),
        user: str(a.options, 'user'),
        tty: flag(a.options, 'tty'),
        stdio: 'inherit',
        log: io.log,
        dryRun: flag(a.options, 'dry-run'),
      });
      if (r.plan) io.out(r.plan.join('\n') + '\n');
      return r.exitCode;
    },
  },
  ...LOG_COMMANDS,
  inspect: {
    usage: 'inspect <container|image> [--json] [--format KEY]',
    summary: 'show a container (fields: name image status pid exitCode ip ports command user ...), else an image',
    options: [JSON_OPT, FORMAT_OPT],
    async handler(a, io) {
      const [name] = need(a, 1, 'container or image name');
      // As docker inspect: a container by that name first, then an image.
      const info = await io.sdk.inspect(name!).catch(async (e: unknown) => {
        if (sdk.isConductorError(e, 'CONTAINER_NOT_FOUND') && (await io.sdk.images()).some((i) => i.name === name))
          return io.sdk.inspectImage(name!);
        throw e;
      });
      printInspect(info, a, io);
      return 0;
    },
  },
  ...networkCommands,
  volume: VOLUME_COMMAND,
  cp: CP_COMMAND,
  ...OCI_COMMANDS,
  ...GENERATE_COMMANDS,
  ...HEALTH_COMMANDS,
};
