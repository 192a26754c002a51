/** The host's real DNS resolvers, for containers' /etc/resolv.conf. Never a hard-coded public server. */
import { readFileSync } from 'node:fs';

const STUB = /^127\.0\.0\.53$/;

/** Nameserver lines of a resolv.conf text. Pure. */
export function nameserversOf(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x));
}

/**
 * Pick resolvers usable from inside a container: CONDUCTOR_DNS wins; a systemd-resolved stub
 * (127.0.0.53, unreachable from another network namespace) is replaced by the upstreams it keeps.
 * Loopback resolvers are unusable from a container and are dropped.
 */
export function chooseNameservers(hostConf: string, resolvedUpstream: string | null, override?: string): string[] {
  if (override) return override.split(',').map((s) => s.trim()).filter(Boolean);
  let list = nameserversOf(hostConf);
  if (list.some((n) => STUB.test(n)) && resolvedUpstream !== null) list = nameserversOf(resolvedUpstream);
  return list.filter((n) => !n.startsWith('127.') && n !== '::1');
}

export function renderResolvConf(nameservers: string[], searchFrom = ''): string {
  const search = searchFrom.split('\n').find((l) => /^\s*search\s/.test(l));
  return [...(search ? [search.trim()] : []), ...nameservers.map((n) => `nameserver ${n}`)].join('\n') + '\n';
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** resolv.conf text for a container, from the host's configuration. */
export function hostResolvConf(env: NodeJS.ProcessEnv = process.env): string {
  const host = readOrNull('/etc/resolv.conf') ?? '';
  const upstream = readOrNull('/run/systemd/resolve/resolv.conf');
  return renderResolvConf(chooseNameservers(host, upstream, env.CONDUCTOR_DNS), host);
}
