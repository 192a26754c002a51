/**
 * A cheap, stable, non-cryptographic hash for names and cache slots that nobody has to trust:
 * FNV-1a, 64-bit. Where a collision would matter, the caller checks what it found (seccomp's slot
 * index) or the inputs are root's own (cgroup ids). It spares those paths node:crypto, which costs
 * node ~5 ms to load (sdk/host/random.ts).
 */

/**
 * 16 lowercase hex digits.
 * @example shortHash('/var/lib/conductor\0web'); // '4609ada42b0bac4b'
 */
export function shortHash(s: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(s)) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}
