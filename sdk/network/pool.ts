/** The address pool: IPv4 arithmetic, `CONDUCTOR_SUBNET`, and allocation of container addresses. */
import { isIPv4 } from 'node:net';
import { ConductorError } from '../errors.ts';

/** Picked to avoid Docker (172.17+/16) and Podman (10.88/16, 10.89+/24) defaults; override with CONDUCTOR_SUBNET. */
export const DEFAULT_SUBNET = '10.177.0.0/16';

export interface Pool {
  cidr: string;
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
  gateway: string;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || !isIPv4(ip)) throw new ConductorError('INVALID_ARGUMENT', `invalid IPv4 address "${ip}"`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) throw new ConductorError('INVALID_ARGUMENT', `invalid IPv4 subnet "${cidr}"`);
  const prefix = m[2] === undefined ? 32 : Number(m[2]);
  if (prefix > 32) throw new ConductorError('INVALID_ARGUMENT', `invalid prefix length in "${cidr}"`);
  const size = 2 ** (32 - prefix);
  return { base: Math.floor(ipToInt(m[1]!) / size) * size, prefix };
}

/**
 * The address pool: `CONDUCTOR_SUBNET` or the default; the gateway is its first address.
 * @example parsePool('10.177.0.0/16').gateway // '10.177.0.1'
 */
export function parsePool(cidr: string = DEFAULT_SUBNET): Pool {
  const { base, prefix } = parseCidr(cidr);
  if (prefix < 8 || prefix > 30) {
    throw new ConductorError('INVALID_ARGUMENT', `subnet "${cidr}" must be between /8 and /30`);
  }
  return { cidr: `${intToIp(base)}/${prefix}`, base, prefix, gateway: intToIp(base + 1) };
}

export function poolFromEnv(env: NodeJS.ProcessEnv): Pool {
  return parsePool(env.CONDUCTOR_SUBNET || DEFAULT_SUBNET);
}

export function inPool(pool: Pool, ip: number): boolean {
  return ip >= pool.base && ip < pool.base + 2 ** (32 - pool.prefix);
}

/**
 * The lowest free container address: skips the network, gateway and broadcast addresses.
 * @example allocateAddress(parsePool('10.177.0.0/16'), ['10.177.0.2']) // '10.177.0.3'
 */
export function allocateAddress(pool: Pool, used: Iterable<string>): string {
  const taken = new Set<number>();
  for (const u of used) {
    try {
      taken.add(ipToInt(u));
    } catch {
      /* not an address of ours */
    }
  }
  const last = pool.base + 2 ** (32 - pool.prefix) - 1; // broadcast
  for (let n = pool.base + 2; n < last; n++) {
    if (!taken.has(n)) return intToIp(n);
  }
  throw new ConductorError('POOL_EXHAUSTED', `no free address left in "${pool.cidr}"`, {
    hint: 'remove stopped containers or set CONDUCTOR_SUBNET to a larger subnet',
  });
}
