/** Port specs: published ports (`--expose`), host ports opened to a container (`--allow-host`), listening sockets. */
import { ConductorError } from '../errors.ts';
import type { PortMapping } from '../types.ts';

function parsePort(s: string, spec: string): number {
  if (!/^\d{1,5}$/.test(s)) throw badSpec(spec);
  const n = Number(s);
  if (n < 1 || n > 65535) throw badSpec(spec);
  return n;
}

function badSpec(spec: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid port mapping ${JSON.stringify(spec)}`, {
    hint: 'use <container-port>-<host-port>, e.g. 8080-3000, ports 1-65535',
  });
}

/**
 * `<inner>-<outer>`: container port, then host port.
 * @example parseExposeSpec('8080-3000') // { container: 8080, host: 3000 }
 */
export function parseExposeSpec(spec: string): PortMapping {
  const parts = typeof spec === 'string' ? spec.trim().split('-') : [];
  if (parts.length !== 2) throw badSpec(String(spec));
  return { container: parsePort(parts[0]!, spec), host: parsePort(parts[1]!, spec) };
}

/** Range-checks mappings given as data and refuses two mappings of one host port. */
export function validatePorts(ports: PortMapping[]): PortMapping[] {
  const seen = new Set<number>();
  return ports.map((p) => {
    const shown = `${p?.container}-${p?.host}`;
    const m = { container: parsePort(String(p?.container), shown), host: parsePort(String(p?.host), shown) };
    if (seen.has(m.host)) throw new ConductorError('INVALID_ARGUMENT', `host port ${m.host} is mapped twice`);
    seen.add(m.host);
    return m;
  });
}

/** Ports with a LISTEN socket in /proc/net/tcp or /proc/net/tcp6 text. */
export function listeningTcpPorts(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '0A') continue; // TCP_LISTEN
    const port = f[1]?.split(':')[1];
    if (port) ports.add(parseInt(port, 16));
  }
  return ports;
}

function badHostPort(spec: string): ConductorError {
  return new ConductorError('INVALID_ARGUMENT', `invalid host port ${JSON.stringify(spec)}`, {
    hint: 'use a TCP port number 1-65535, e.g. --allow-host 5432',
  });
}

/**
 * Range-checks the host ports a container may reach (strings from the CLI, numbers from the SDK);
 * duplicates collapse.
 * @example validateHostPorts(['5432', 6379]) // [5432, 6379]
 */
export function validateHostPorts(ports: Array<number | string>): number[] {
  const out: number[] = [];
  for (const p of ports) {
    const s = String(p).trim();
    if (!/^\d{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535) throw badHostPort(String(p));
    if (!out.includes(Number(s))) out.push(Number(s));
  }
  return out;
}
