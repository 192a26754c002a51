/** Facts about the host the network plans need: routes, links, iptables rules, listening ports. */
import type { Paths } from '../config.ts';
import { ConductorError } from '../errors.ts';
import { publishedHostPorts } from './chains.ts';
import { readOr } from './host-files.ts';
import { listeningTcpPorts } from './ports.ts';
import type { LinkEntry, RouteEntry } from './routes.ts';
import { sh } from '../host/sh.ts';
import { statusOf } from '../state/containers.ts';
import type { ContainerRecord, PortMapping } from '../types.ts';

export async function hostRoutes(): Promise<RouteEntry[]> {
  const { stdout } = await sh(['ip', '-j', 'route']);
  return JSON.parse(stdout || '[]') as RouteEntry[];
}

export async function iptablesSave(table?: string): Promise<string> {
  return (await sh(table ? ['iptables-save', '-t', table] : ['iptables-save'])).stdout;
}

function listeningPorts(): Set<number> {
  return listeningTcpPorts(`${readOr('/proc/net/tcp', '')}\n${readOr('/proc/net/tcp6', '')}`);
}

export function checkPorts(
  paths: Paths,
  name: string,
  ports: PortMapping[],
  records: ContainerRecord[],
  save: string,
): void {
  const byConductor = publishedHostPorts(save);
  const listening = ports.length ? listeningPorts() : new Set<number>();
  for (const p of ports) {
    const owner = records.find(
      (r) => r.name !== name && r.network?.ports.some((q) => q.host === p.host) && statusOf(paths, r) !== 'exited',
    );
    const why = owner
      ? `is already published by container "${owner.name}"`
      : byConductor.has(p.host)
        ? 'is already published by another conductor state root'
        : listening.has(p.host)
          ? 'already has a listening socket on the host'
          : null;
    if (why) throw new ConductorError('PORT_IN_USE', `host port ${p.host} ${why}`);
  }
}

export async function hostLinks(): Promise<LinkEntry[]> {
  const { stdout } = await sh(['ip', '-j', '-d', 'link', 'show']);
  return JSON.parse(stdout || '[]') as LinkEntry[];
}
