/** A layer's cache key: pure, so build planners (the dry run's) can chain keys without the layer store. */
import { createHash } from 'node:crypto';

/**
 * Cache key of a step: pure function of the layer it goes on (its id, or the base's identity for
 * the first) and what it does. Chaining on ids, not keys, means a layer rebuilt with --no-cache
 * never serves as the parent of a cached layer that was built on its predecessor.
 */
export function layerKey(parent: string, instruction: string, contentHash = ''): string {
  return createHash('sha256').update(`${parent}\n${instruction}\n${contentHash}`).digest('hex');
}
