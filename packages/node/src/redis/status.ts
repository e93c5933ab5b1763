import type { DistributedHealth } from './circuit';
import type { SizeSample } from './size-sampler';

/** What /health shows about distributed mode. */
export interface DistributedStatus {
  /** Whether this reranker shares its cache through Redis (ENABLE_DISTRIBUTED). */
  enabled: boolean;
  /** Redis as this server sees it; `null` when distributed mode is off. */
  redis: DistributedHealth | null;
  /**
   * Entries of the shared cache under the key prefix, counted in the background every
   * `REDIS_SIZE_SAMPLE_MS` (reading it costs nothing); `null` before the first count, with sampling
   * off, or outside distributed mode.
   */
  sharedCache: SizeSample | null;
}

/** How to read the distributed state of one reranker. */
export interface DistributedProbes {
  redis(): DistributedHealth;
  sharedCache(): SizeSample | undefined;
}

// Keyed by the reranker object, so the status dies with it and core needs no Redis knowledge.
const registry = new WeakMap<object, DistributedProbes>();

/** Records how to read the Redis health and shared cache size of a reranker built in distributed mode. */
export function registerDistributed(reranker: object, probes: DistributedProbes): void {
  registry.set(reranker, probes);
}

/** Distributed mode of a reranker made by `createReranker`: whether it is on, and Redis health if so. */
export function distributedStatus(reranker: object): DistributedStatus {
  const probes = registry.get(reranker);
  return probes
    ? { enabled: true, redis: probes.redis(), sharedCache: probes.sharedCache() ?? null }
    : { enabled: false, redis: null, sharedCache: null };
}
