/**
 * Removing everything the bench made: the conductor containers of both bench roots (which undoes their
 * veths, routes and rules), podman containers and images, runc ids, leftover host interfaces, mounts
 * under the temporary top directory, and that directory. Runs once, also on failure or a signal.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { BenchContext } from './context.ts';
import { run } from './proc.ts';

export function cleaner(
  ctx: Pick<BenchContext, 'root' | 'fresh' | 'top' | 'env' | 'conductor' | 'made' | 'log'>,
): () => Promise<void> {
  const { root: ROOT, fresh: FRESH, top: TOP, env: ENV, conductor, made, log } = ctx;
  let cleaning: Promise<void> | null = null;
  return () => {
    cleaning ??= (async () => {
      log('cleaning up');
      for (const root of [ROOT, FRESH]) {
        if (!existsSync(root)) continue;
        const env = { ...ENV, CONDUCTOR_ROOT: root };
        const ps = await run(conductor('ps', '-a', '--json'), { env, timeoutMs: 30_000 });
        let names: string[] = [];
        try {
          names = (JSON.parse(ps.stdout) as { name: string; hostInterface?: string | null }[]).map((x) => x.name);
        } catch {
          /* no containers */
        }
        if (names.length) {
          const r = await run(conductor('stop', '-t', '0', '--ignore', ...names), { env, timeoutMs: 180_000 });
          if (r.code !== 0) log(`conductor stop: ${r.stderr.trim()}`);
        }
      }
      for (const n of made.podmanContainers) await run(['podman', 'rm', '-f', '-t', '0', n], { timeoutMs: 60_000 });
      for (const t of [...made.podmanImages].reverse()) await run(['podman', 'rmi', '-f', t], { timeoutMs: 60_000 });
      const runcIds = (await run(['runc', 'list', '-q'], { timeoutMs: 10_000 })).stdout
        .split('\n')
        .filter((id) => id.startsWith(made.runcPrefix));
      for (const id of runcIds) await run(['runc', 'delete', '-f', id], { timeoutMs: 10_000 });
      const links = (await run(['ip', '-o', 'link'])).stdout;
      for (const i of made.hostInterfaces) {
        if (new RegExp(`^\\d+: ${i}[@:]`, 'm').test(links)) {
          log(`removing leftover interface ${i}`);
          await run(['ip', 'link', 'del', i]);
        }
      }
      // Nothing of ours may stay mounted under TOP before it is removed.
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[4])
        .filter((m): m is string => Boolean(m) && (m === TOP || m!.startsWith(TOP + '/')));
      for (const m of mounts.reverse()) await run(['umount', '-l', m]);
      await run(['rm', '-rf', '--one-file-system', TOP], { timeoutMs: 120_000 });
    })();
    return cleaning;
  };
}
