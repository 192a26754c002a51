/** addnetwork: a running container's veth, address, isolation, and optionally the internet and published ports. */
import { resolvePaths, type CommonOptions } from '../config.ts';
import { hostResolvConf } from '../host/resolv.ts';
import { ConductorError } from '../errors.ts';
import { chainSetupText } from './chains.ts';
import { ensureChains, runPlan } from './apply.ts';
import { describePlan } from './describe.ts';
import { checkPorts, hostRoutes, iptablesSave } from './facts.ts';
import { readOr } from './host-files.ts';
import { hostInterfaceName, rootIdOf } from './interfaces.ts';
import { planAddNetwork, type Step } from './plan.ts';
import { allocateAddress, poolFromEnv } from './pool.ts';
import { validateHostPorts, validatePorts } from './ports.ts';
import { checkRouteOverlap, defaultRouteInterfaces, routedAddresses } from './routes.ts';
import { withLock } from '../state/lock.ts';
import { silentLogger } from '../log.ts';
import { validateName } from '../names.ts';
import { containerPaths, listRecords, requireRunning, updateRecord } from '../state/containers.ts';
import type { ContainerRecord, NetworkRecord, PortMapping } from '../types.ts';

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
  const pool = poolFromEnv();
  const first = requireRunning(paths, name);
  if (first.network) throw new ConductorError('NETWORK_EXISTS', `container "${name}" already has a network`);

  const [routes, save] = await Promise.all([hostRoutes(), iptablesSave()]);
  checkRouteOverlap(pool, routes);
  const outInterfaces = internet ? defaultRouteInterfaces(routes) : [];
  if (internet && outInterfaces.length === 0) {
    throw new ConductorError('NO_NETWORK', 'the host has no default route for "--internet" to use');
  }
  const cp = containerPaths(paths, name);
  const resolvContent = internet
    ? hostResolvConf()
    : null;
  if (internet && resolvContent === null) log.warn(`no usable host resolver for "${name}"; set CONDUCTOR_DNS`);
  const hostInterface = hostInterfaceName(paths.root, name);
  const info = (ip: string): NetworkInfo => ({ ip, gateway: pool.gateway, hostInterface, ports, internet, allowHost });
  const plan = (ip: string, pid: number) => planAddNetwork({
    rootId: rootIdOf(paths.root), name, pid, hostInterface, ip, gateway: pool.gateway, subnet: pool.cidr, internet, ports, outInterfaces,
    resolvPath: cp.resolv, resolvContent, resolvBefore: readOr(cp.resolv, '')!, allowHost,
  });
  const usedBy = (records: ContainerRecord[], now = routes) => [...records.flatMap((r) => (r.network ? [r.network.ip] : [])), ...routedAddresses(pool, now)];

  if (opts.dryRun) {
    const records = listRecords(paths);
    checkPorts(paths, name, ports, records, save);
    const ip = allocateAddress(pool, usedBy(records));
    const setup = chainSetupText(save);
    const steps: Step[] = [...(setup ? [{ argv: ['iptables-restore', '-w', '--noflush'], input: setup, about: 'create conductor chains and hooks (once per host)' }] : []), ...plan(ip, first.init!.pid)];
    return { ...info(ip), plan: describePlan(steps) };
  }

  const { ip, pid } = await withLock(paths.locks, 'network', async () => {
    const rec = requireRunning(paths, name);
    if (rec.network) throw new ConductorError('NETWORK_EXISTS', `container "${name}" already has a network`);
    const records = listRecords(paths);
    checkPorts(paths, name, ports, records, save);
    // Routes re-read under the lock: a build step's address is reserved by its route (build-network.ts).
    const ip = allocateAddress(pool, usedBy(records, await hostRoutes()));
    await ensureChains(save, log);
    const network: NetworkRecord = { ip, prefixLength: 32, gateway: pool.gateway, hostInterface, internet, ports, peers: [], ...(allowHost.length ? { allowHost } : {}) };
    await updateRecord(paths, name, (r) => ({ ...r, network })); // reserves the address
    return { ip, pid: rec.init!.pid };
  });
  log.info(`network for "${name}": ${ip} via ${hostInterface}`);
  await runPlan(paths, [name], plan(ip, pid), log, () => undefined);
  return info(ip);
}
