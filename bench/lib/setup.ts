/**
 * The setup before the groups: root, tools, the CLI, the tiny image (which fetches the base into the
 * shared cache when missing), then only what the selected groups need (see Need), and the host's address.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext, Need } from './context.ts';
import { run, runOk } from './proc.ts';
import { ensureTools } from './tools.ts';

export interface SetupResult {
  hostIp: string;
  /** "N s building … and importing …" for the report's first line, when those ran. */
  setupImages?: string;
}

export async function setup(ctx: BenchContext, needs: ReadonlySet<Need>): Promise<SetupResult> {
  const { repo, cli, root, ctxDir: CTX, base, env, img, podman, made, log, conductor } = ctx;
  if (process.getuid?.() !== 0)
    throw new Error('the benchmarks need root (namespaces, mounts, iptables): run as root or with sudo');
  await ensureTools(log);
  log('building the CLI (scripts/build-cli.mjs)');
  const b = await run(['node', path.join(repo, 'scripts', 'build-cli.mjs')], { cwd: repo, timeoutMs: 120_000 });
  if (b.code !== 0 && !existsSync(cli)) throw new Error(`building the CLI failed: ${b.stderr || b.stdout}`);
  if (b.code !== 0) log(`build-cli failed; benchmarking the existing dist/conductor.cjs: ${b.stderr.trim()}`);
  if (!existsSync(path.join(repo, 'native', 'conductor-init')))
    await runOk(['make', '-s', '-C', path.join(repo, 'native')], { timeoutMs: 120_000 });

  mkdirSync(root);
  mkdirSync(path.join(CTX, 'podman'), { recursive: true });
  writeFileSync(path.join(CTX, 'hello.txt'), 'hello from the bench\n');
  const steps = [
    'COPY hello.txt /opt/bench/hello.txt',
    'RUN echo one > /opt/bench/1',
    'RUN echo two > /opt/bench/2',
    'RUN cat /opt/bench/hello.txt /opt/bench/1 /opt/bench/2 > /opt/bench/all',
  ];
  writeFileSync(path.join(CTX, 'Conductorfile'), ['FROM debian:bookworm', ...steps, ''].join('\n'));
  writeFileSync(path.join(CTX, 'podman', 'hello.txt'), 'hello from the bench\n');
  writeFileSync(path.join(CTX, 'podman', 'Containerfile'), [`FROM ${podman.image}`, ...steps, ''].join('\n'));

  // The tiny image first: it also fetches the base into the shared cache if it is missing (minutes).
  log(`building ${img} (a cold base takes minutes: debootstrap)`);
  await runOk(conductor('build', img, path.join(CTX, 'Conductorfile'), '--context', CTX, '-q'), {
    env,
    timeoutMs: 900_000,
  });
  if (!existsSync(base)) throw new Error(`the debootstrap base is not at ${base}`);

  const out: SetupResult = { hostIp: '' };
  const demo = needs.has('demo-images');
  const imp = needs.has('podman-image');
  if (demo || imp) {
    const what = [demo ? 'building the demo images in the bench root' : '', imp ? 'importing the base into podman' : '']
      .filter(Boolean)
      .join(' and ');
    log(
      `${[
        demo ? 'building counter-service and external-service in the bench root' : '',
        imp ? 'importing the base into podman' : '',
      ]
        .filter(Boolean)
        .join(', ')}`,
    );
    if (imp) made.podmanImages.add(podman.image);
    const t = Date.now();
    await Promise.all([
      ...(demo
        ? [
            runOk(
              conductor(
                'build',
                'counter-service',
                path.join(repo, 'conductorfiles/counter-service.Conductorfile'),
                '--context',
                repo,
                '-q',
              ),
              { env, timeoutMs: 600_000 },
            ),
            runOk(
              conductor(
                'build',
                'external-service',
                path.join(repo, 'conductorfiles/external-service.Conductorfile'),
                '--context',
                repo,
                '-q',
              ),
              { env, timeoutMs: 600_000 },
            ),
          ]
        : []),
      ...(imp
        ? [runOk(['sh', '-c', `tar -C ${base} -c . | podman import - ${podman.image}`], { timeoutMs: 300_000 })]
        : []),
    ]);
    out.setupImages = `${((Date.now() - t) / 1000).toFixed(0)} s ${what}`;
  }
  if (needs.has('podman-build')) {
    await runOk(
      ['podman', 'build', '-q', ...podman.flags, '--network', 'none', '-t', podman.buildTag, path.join(CTX, 'podman')],
      { timeoutMs: 300_000 },
    );
    made.podmanImages.add(podman.buildTag);
  }
  out.hostIp = await hostAddress();
  return out;
}

/** The host's own address (for the published port): the source of its default route. */
async function hostAddress(): Promise<string> {
  const rg = await run(['ip', '-j', '-4', 'route', 'get', '192.0.2.1']);
  let hostIp = '';
  try {
    hostIp = (JSON.parse(rg.stdout) as { prefsrc?: string }[])[0]?.prefsrc ?? '';
  } catch {
    /* no route */
  }
  if (!hostIp) {
    const addrs = JSON.parse((await runOk(['ip', '-j', '-4', 'addr'])).stdout) as {
      ifname: string;
      addr_info: { local: string; scope: string }[];
    }[];
    hostIp =
      addrs
        .flatMap((a) => a.addr_info.filter((i) => i.scope === 'global').map((i) => i.local))
        .find((a) => !a.startsWith('10.177.')) ?? '127.0.0.1';
  }
  return hostIp;
}

/**
 * The long-running containers that exec, disk, memory and profile use; a failure is logged, and those groups report it.
 */
export async function startLongRunning(ctx: BenchContext, needs: ReadonlySet<Need>): Promise<void> {
  try {
    if (needs.has('conductor-container')) {
      await ctx.c('run', '-d', ctx.img, 'cbench-exec', '--', 'sleep', 'infinity');
      ctx.long.cInit = (await ctx.inspectConductor('cbench-exec')).pid;
    }
    if (needs.has('podman-container'))
      ctx.long.podmanExec = await podmanRunDetached(ctx, 'cbench-pexec', ['sleep', 'infinity']);
  } catch (e) {
    ctx.log(`starting the long-running containers failed: ${(e as Error).message}`);
  }
}

async function podmanRunDetached(
  ctx: BenchContext,
  name: string,
  argv: string[],
): Promise<NonNullable<BenchContext['long']['podmanExec']>> {
  ctx.made.podmanContainers.add(name);
  await runOk(
    ['podman', 'run', '-d', '--name', name, '--network', 'none', ...ctx.podman.flags, ctx.podman.image, ...argv],
    { timeoutMs: 60_000 },
  );
  const f = (
    await runOk([
      'podman',
      'inspect',
      name,
      '--format',
      '{{.State.Pid}} {{.State.ConmonPid}} {{.Id}} {{.GraphDriver.Data.UpperDir}}',
    ])
  ).stdout
    .trim()
    .split(' ');
  return { pid: Number(f[0]), conmon: Number(f[1]), id: f[2]!, upper: f[3]! };
}
