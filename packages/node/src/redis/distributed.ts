import { createMemoryCache, type Logger } from '@reranker/core';
import type { RerankerConfig } from '../config';
import { createRedisCache, type StoreDriver } from './redis-cache';
import { startSizeSampler } from './size-sampler';
import { registerDistributed } from './status';
import { createTieredCache } from './tiered-cache';

type DistributedConfig = Pick<
  RerankerConfig,
  | 'redisUrl'
  | 'redisKeyPrefix'
  | 'redisTimeoutMs'
  | 'redisSizeSampleMs'
  | 'cacheTtlMs'
  | 'cacheMaxEntries'
  | 'clearCacheIntervalMs'
>;

/**
 * The cache of distributed mode: this process's memory in front of the shared Redis, configured as the
 * memory cache would be, plus how to register its Redis health and sampled size for `distributedStatus`.
 */
export function distributedCache(
  config: DistributedConfig,
  logger: Logger,
): { cache: StoreDriver; register(reranker: object): void } {
  const redis = createRedisCache({
    url: config.redisUrl,
    keyPrefix: config.redisKeyPrefix,
    timeoutMs: config.redisTimeoutMs,
    ttlMs: config.cacheTtlMs,
    logger,
    // Servers that miss the same pair at once compute it once.
    dedupe: true,
  });
  const memory = createMemoryCache({
    maxEntries: config.cacheMaxEntries,
    ttlMs: config.cacheTtlMs,
    purgeIntervalMs: config.clearCacheIntervalMs,
  });
  // The tiered cache's size() is the memory tier's (O(1)); the shared count comes from this sampler.
  const sampler = startSizeSampler({
    count: () => redis.size(),
    intervalMs: config.redisSizeSampleMs,
    logger,
  });
  const tiered = createTieredCache(memory, redis, { logger });
  return {
    cache: {
      ...tiered,
      async dispose() {
        sampler.stop();
        await tiered.dispose();
      },
    },
    register: (reranker) =>
      registerDistributed(reranker, { redis: () => redis.status(), sharedCache: () => sampler.latest() }),
  };
}
