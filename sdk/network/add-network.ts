/** addnetwork: a running container's veth, address, isolation, and optionally the internet and published ports. */
import { existsSync } from 'node:fs';
import { resolvePaths, type CommonOptions, type Paths } from '../config.ts';
import { hostResolvConf } from '../host/resolv.ts';
import { ConductorError } from '../errors.ts';
import { chainSetupText } from './chains.ts';
import { ipsetRestoreArgv, setCreateText } from './sets.ts';
import { apply, ensureChains } from './apply.ts';
import { describePlan } from './describe.ts';
import { checkPorts, hostRoutes, iptablesSave } from './facts.ts';
import { hostLock, readOr } from './host-files.ts';
import { hostInterfaceName, rootIdOf } from './interfaces.ts';
import { planAddNetwork, type Step } from './plan.ts';
import { poolFromEnv } from './pool.ts';
import { validateHostPorts, validatePorts } from './ports.ts';
import { withRecords } from './record-journal.ts';
import { checkRouteOverlap, defaultRouteInterfaces, freeAddress, type RouteEntry } from './routes.ts';
import { silentLogger } from '../log.ts';
import { validateName } from '../names.ts';
import { containerPaths, listContainerNames, loadRecord, requireRecord, statusOf } from '../state/containers.ts';
import type { ContainerRecord, HostOp, NetworkRecord, PortMapping } from '../types.ts';

export interface NetworkInfo {
  ip: string;
  gateway: string;
  hostInterface: string;
  ports: PortMapping[];
  internet: boolean;
  /** Host TCP ports the container may connect to. */
  allowHost: number[];
  /** With dryRun: the exact commands that would run (see describePlan). */
  plan?: string[];
}

export interface AddNetworkOptions extends CommonOptions {
  /** Default route, NAT out of the host's default-route interface(s), resolv.conf from the host. */
  internet?: boolean;
  /** Published TCP ports: host port → container port, on every host address including 127.0.0.1. */
  expose?: PortMapping[];
  /**
   * Host TCP ports this container may connect to (on the gateway or any host address). Every
   * other service of the host is closed to containers, except the port 53 of a resolver its
   * resolv.conf names that is a host address.
   */
  allowHost?: number[];
  /** Plan only: nothing is changed, `plan` holds the commands. */
  dryRun?: boolean;
  /**
   * Plan only, for `run --dry-run`: the network of a container about to be made (no record yet),
   * its init shown as the word `pid`.
   */
  atStart?: { pid: string };
  /**
   * Called with the container's address as soon as it is reserved, before its interface exists:
   * a caller can hand it on (to a service it starts meanwhile) while the rest is wired up.
   */
  onAddress?: (ip: string) => void;
}

/**
 * Give a running container a veth, an address from the pool, isolation, and optionally the
 * internet and published ports. Returns its address, so no caller ever scrapes `ip addr`.
 * @example
 * const { ip } = await addNetwork('web', { internet: true, expose: [{ container: 8080, host: 3000 }] });
 */
export async function addNetwork(name: string, opts: AddNetworkOptions = {}): Promise<NetworkInfo> {
  const paths = resolvePaths(opts.root);
  const log = opts.log ?? silentLogger();
  validateName('container', name);
  const ports = validatePorts(opts.expose ?? []);
  const allowHost = validateHostPorts(opts.allowHost ?? []);
  const internet = Boolean(opts.internet);
  const pool = poolFromEnv(process.env);
  const cp = containerPaths(paths, name);
  // Its error, before any lock file is made for the name.
  if (!opts.atStart && !existsSync(cp.state)) requireRecord(paths, name);
  const hostInterface = hostInterfaceName(paths.root, name);
  const info = (ip: string): NetworkInfo => ({ ip, gateway: pool.gateway, hostInterface, ports, internet, allowHost });

  /** Checks and facts, from the record as loaded (once) by the caller. */
  const prepare = async (rec: ContainerRecord) => {
    if (statusOf(paths, rec) !== 'running')
      throw new ConductorError('CONTAINER_NOT_RUNNING', `container "${name}" is not running`);
    if (rec.network) throw new ConductorError('NETWORK_EXISTS', `container "${name}" already has a network`);
    return facts(rec.init!.pid, readOr(cp.resolv, '')!);
  };
  /**
   * The facts of a plan for the init `pid` (a word in run's dry run) whose resolv.conf holds
   * `resolvBefore`. The host's routes are not among them: they are read once, where the address is
   * allocated (under the network lock), and checked there (`routeFacts`).
   */
  const facts = async (pid: number | string, resolvBefore: string) => {
    const save = await iptablesSave();
    const resolvContent = internet ? hostResolvConf() : null;
    if (internet && resolvContent === null) log.warn(`no usable host resolver for "${name}"; set CONDUCTOR_DNS`);
    const plan = (ip: string, outInterfaces: string[]) =>
      planAddNetwork({
        rootId: rootIdOf(paths.root),
        name,
        pid,
        hostInterface,
        ip,
        gateway: pool.gateway,
        subnet: pool.cidr,
        internet,
        ports,
        outInterfaces,
        resolvPath: cp.resolv,
        resolvContent,
        resolvBefore,
        allowHost,
      });
    /**
     * From the host's routes: the pool must not overlap them, --internet needs a default route
     * (its interfaces are the plan's), and the address is one no other container (of any root, or
     * a build step: its route reserves it, build-network.ts) has.
     */
    const allocate = (others: ContainerRecord[], routes: RouteEntry[]) => {
      checkRouteOverlap(pool, routes);
      const outInterfaces = internet ? defaultRouteInterfaces(routes) : [];
      if (internet && outInterfaces.length === 0) {
        throw new ConductorError('NO_NETWORK', 'the host has no default route for "--internet" to use');
      }
      checkPorts(paths, name, ports, others, save);
      return { ip: freeAddress(pool, others, routes), outInterfaces };
    };
    return { save, plan, allocate };
  };

  if (opts.atStart || opts.dryRun) {
    // atStart: the container does not exist yet, nothing to check of it; its resolv.conf starts empty.
    const [{ save, plan, allocate }, routes] = await Promise.all([
      opts.atStart ? facts(opts.atStart.pid, '') : prepare(requireRecord(paths, name)),
      hostRoutes(),
    ]);
    const { ip, outInterfaces } = allocate(otherRecords(paths, name), routes);
    return { ...info(ip), plan: describePlan([...chainSteps(save), ...plan(ip, outInterfaces)]) };
  }

  // Lock order: the container's lock, then the host's network lock (see record-journal.ts): addresses
  // and host ports belong to the host, so containers and build steps of every root allocate under it.
  const ip = await withRecords(paths, [name], async (held) => {
    const { save, plan, allocate } = await prepare(held.get(name));
    const { ip, outInterfaces } = await hostLock('network', async () => {
      // Routes read under the lock: a build step's address is reserved by its route (build-network.ts).
      const { ip, outInterfaces } = allocate(otherRecords(paths, name), await hostRoutes());
      await ensureChains(save, log);
      const network: NetworkRecord = {
        ip,
        prefixLength: 32,
        gateway: pool.gateway,
        hostInterface,
        internet,
        ports,
        peers: [],
        ...(allowHost.length ? { allowHost } : {}),
      };
      held.update(name, (r) => ({ ...r, network })); // reserves the address
      return { ip, outInterfaces };
    });
    log.info(`network for "${name}": ${ip} via ${hostInterface}`);
    opts.onAddress?.(ip);
    await apply(plan(ip, outInterfaces), { journal: held.journal(() => undefined), log });
    return ip;
  });
  return info(ip);
}

/** What ensureChains would do: create conductor's sets, chains and hooks, unless `save` shows them. */
function chainSteps(save: string): Step[] {
  const setup = chainSetupText(save);
  if (!setup) return [];
  const sets: HostOp = { kind: 'exec', argv: ipsetRestoreArgv('create'), input: setCreateText() };
  const op: HostOp = { kind: 'exec', argv: ['iptables-restore', '-w', '--noflush'], input: setup };
  return [
    { op: sets, about: 'create conductor sets (once per host)' },
    { op, about: 'create conductor chains and hooks (once per host)' },
  ];
}

/** Every other container's record (this one's is already loaded). */
function otherRecords(paths: Paths, name: string): ContainerRecord[] {
  return listContainerNames(paths)
    .filter((n) => n !== name)
    .flatMap((n) => loadRecord(paths, n) ?? []);
}
