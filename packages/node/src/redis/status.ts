import type { DistributedHealth } from './circuit';

/** What /health shows about distributed mode. */
export interface DistributedStatus {
  /** Whether this reranker shares its cache through Redis (ENABLE_DISTRIBUTED). */
  enabled: boolean;
  /** Redis as this server sees it; `null` when distributed mode is off. */
  redis: DistributedHealth | null;
}

// Keyed by the reranker object, so the status dies with it and core needs no Redis knowledge.
const registry = new WeakMap<object, () => DistributedHealth>();

/** Records how to read the Redis health of a reranker built in distributed mode. */
export function registerDistributed(reranker: object, status: () => DistributedHealth): void {
  registry.set(reranker, status);
}

/** Distributed mode of a reranker made by `createReranker`: whether it is on, and Redis health if so. */
export function distributedStatus(reranker: object): DistributedStatus {
  const status = registry.get(reranker);
  return status ? { enabled: true, redis: status() } : { enabled: false, redis: null };
}
