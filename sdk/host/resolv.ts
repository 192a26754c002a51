/** The host's real DNS resolvers, for containers' /etc/resolv.conf. Never a hard-coded public server. */
import { readFileSync } from 'node:fs';
import { isIP, isIPv4 } from 'node:net';
import { ConductorError } from '../errors.ts';

const STUBS = new Set(['127.0.0.53', '127.0.0.54']);

interface ResolvFile {
  nameservers: string[];
  other: string[];
}

function parseResolv(text: string | null): ResolvFile {
  const nameservers: string[] = [];
  const other: string[] = [];
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain' || key === 'options') other.push(line);
  }
  return { nameservers, other };
}

/**
 * The container's resolv.conf from the host's real resolvers: /etc/resolv.conf, or systemd-resolved's
 * upstream list when /etc/resolv.conf points at its stub; `CONDUCTOR_DNS` (comma-separated)
 * overrides both. Loopback and IPv6 resolvers are dropped (unreachable from the container).
 * Null when nothing usable is left.
 * @example deriveResolvConf({ etc: 'nameserver 127.0.0.53\n', systemd: 'nameserver 10.0.0.2\n' })
 */
export function deriveResolvConf(
  src: { etc: string | null; systemd: string | null },
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const etc = parseResolv(src.etc);
  let chosen = etc;
  let servers: string[];
  if (env.CONDUCTOR_DNS && env.CONDUCTOR_DNS.trim()) {
    servers = env.CONDUCTOR_DNS.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const s of servers) {
      if (!isIP(s)) throw new ConductorError('INVALID_ARGUMENT', `CONDUCTOR_DNS entry "${s}" is not an IP address`);
    }
  } else {
    if (etc.nameservers.some((n) => STUBS.has(n))) chosen = parseResolv(src.systemd);
    servers = chosen.nameservers.filter((n) => isIPv4(n) && !n.startsWith('127.'));
  }
  if (servers.length === 0) return null;
  return (
    [
      "# written by conductor from the host's resolvers",
      ...servers.map((s) => `nameserver ${s}`),
      ...chosen.other,
    ].join('\n') + '\n'
  );
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** resolv.conf text from the host's configuration (null: no usable resolver; set CONDUCTOR_DNS). */
export function hostResolvConf(env: NodeJS.ProcessEnv = process.env): string | null {
  return deriveResolvConf(
    { etc: readOrNull('/etc/resolv.conf'), systemd: readOrNull('/run/systemd/resolve/resolv.conf') },
    env,
  );
}
