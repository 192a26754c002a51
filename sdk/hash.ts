/**
 * A cheap, stable, non-cryptographic hash for names and cache slots that nobody has to trust.
 * Where a collision would matter, the caller checks what it found (seccomp's slot index) or the
 * inputs are root's own (cgroup ids, veth names, state-root ids). It spares those paths node:crypto, which costs node ~5 ms to
 * load (sdk/host/random.ts); 32-bit lanes (Math.imul), since BigInt arithmetic per byte costs
 * milliseconds on a 20 KB seccomp plan.
 */

/**
 * 16 lowercase hex digits: two FNV-1a lanes of 32 bits, with different offsets and primes.
 * @example shortHash('/var/lib/conductor\0web'); // 16 hex digits, the same on every call
 */
export function shortHash(s: string): string {
  const bytes = Buffer.from(s);
  let a = 0x811c9dc5;
  let b = 0x6c62272e;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x01000193);
    b = Math.imul(b ^ bytes[i]!, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
