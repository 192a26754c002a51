/**
 * The network of one build RUN step: its own network namespace (the launcher's `network: 'none'`)
 * wired like an `--internet` container — veth, an address from the pool, NAT out of the default
 * route, the host's resolvers — with no published ports and the host's services closed (the input
 * guard, firewall.ts). A RUN step on the host's network would see its interfaces and MACs, sniff
 * with NET_RAW, and reach 127.0.0.1 listeners and abstract UNIX sockets (CVE-2020-15257 class).
 *
 * There is no container record: each undo is journaled to a file in the build's work dir before
 * its step runs, so a build killed mid-step is cleaned up by the next build (releaseStaleBuildNetworks).
 */
import { randomHex } from '../host/random.ts';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../config.ts';
import type { Logger } from '../log.ts';
import { apply, ensureChains, replayUndos } from '../network/apply.ts';
import { hostLock } from '../network/host-files.ts';
import { hostRoutes, iptablesSave } from '../network/facts.ts';
import { hostInterfaceName, rootIdOf } from '../network/interfaces.ts';
import { planAddNetwork } from '../network/plan.ts';
import { poolFromEnv } from '../network/pool.ts';
import { checkRouteOverlap, defaultRouteInterfaces, freeAddress } from '../network/routes.ts';
import { startTimeOf } from '../host/proc.ts';
import { listRecords } from '../state/containers.ts';
import { upgradeUndo } from '../state/record-version.ts';
import type { UndoStep } from '../types.ts';

export const BUILD_NETWORK_JOURNAL = 'network-undo.json';

export interface BuildNetwork {
  /** The step's address, or null when the host has no default route (the step gets only lo). */
  ip: string | null;
  /** Undo everything (idempotent; never throws). */
  close(): Promise<void>;
}

function writeJournal(file: string, undos: UndoStep[]): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(undos));
  renameSync(`${file}.tmp`, file);
}

/** A killed build's journal; one written by an older conductor (argv-form steps) is upgraded. */
function readJournal(file: string): UndoStep[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  return Array.isArray(raw) ? raw.map((u) => upgradeUndo(u, `build network journal "${file}"`)) : [];
}

/**
 * Wire the network of the build step whose init is `pid` (held before its command). `workDir` is
 * the build's own work dir (`build-<pid>-<ms>`), `resolvPath` the resolv.conf lent to the step.
 * @example
 * const net = await openBuildNetwork(paths, init.pid, work, resolv, log);
 * try { ... } finally { await net.close(); }
 */
export async function openBuildNetwork(
  paths: Paths,
  pid: number,
  workDir: string,
  resolvPath: string,
  log: Logger,
): Promise<BuildNetwork> {
  const pool = poolFromEnv(process.env);
  const name = `build-${randomHex(4)}`;
  const journal = path.join(workDir, BUILD_NETWORK_JOURNAL);
  const undos: UndoStep[] = [];
  const resolv = readFileSync(resolvPath, 'utf8');
  // The whole plan runs under the host's network lock: the route it adds is what reserves the
  // address for a concurrent addNetwork (which has no record of a build to look at). The routes
  // are read once, there, as addNetwork reads them.
  const ip = await hostLock('network', async () => {
    const [routes, save] = await Promise.all([hostRoutes(), iptablesSave()]);
    checkRouteOverlap(pool, routes);
    const outInterfaces = defaultRouteInterfaces(routes);
    if (outInterfaces.length === 0) {
      log.debug('no default route: the RUN step gets an unconnected network namespace');
      return null;
    }
    await ensureChains(save, log);
    const ip = freeAddress(pool, listRecords(paths), routes);
    const steps = planAddNetwork({
      rootId: rootIdOf(paths.root),
      name,
      pid,
      hostInterface: hostInterfaceName(paths.root, name),
      ip,
      gateway: pool.gateway,
      subnet: pool.cidr,
      internet: true,
      ports: [],
      outInterfaces,
      resolvPath,
      resolvContent: resolv,
      resolvBefore: resolv,
    });
    await apply(steps, {
      log,
      journal: {
        record(u) {
          undos.push(u);
          writeJournal(journal, undos);
        },
        forget: () => rmSync(journal, { force: true }),
      },
    });
    return ip;
  });
  if (ip === null) return { ip: null, close: async () => {} };
  let closed = false;
  return {
    ip,
    async close() {
      if (closed) return;
      closed = true;
      await replayUndos(undos, { log });
      rmSync(journal, { force: true });
    },
  };
}

/** Undo the networks of build steps whose build process is gone (killed mid-step). */
export async function releaseStaleBuildNetworks(paths: Paths, log: Logger): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync(paths.tmp);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^build-(\d+)-\d+$/.exec(n);
    if (!m || startTimeOf(Number(m[1])) !== null) continue;
    const journal = path.join(paths.tmp, n, BUILD_NETWORK_JOURNAL);
    const undos = readJournal(journal);
    if (undos.length === 0) continue;
    log.debug(`undoing the network of a killed build (${n})`);
    await replayUndos(undos, { log });
    rmSync(journal, { force: true });
  }
}
