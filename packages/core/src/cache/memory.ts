import { LRUCache } from 'lru-cache';
import { RerankerError } from '../errors';
import type { CacheDriver, CachedLogits } from './contract';

export interface MemoryCacheOptions {
  /**
   * Most pairs held; beyond it the least recently used entry is evicted. lru-cache reserves its index
   * arrays for this bound up front, so keep it realistic.
   * @default 10000
   */
  maxEntries?: number;
  /** Lifetime of an entry when `set` gives none; 0 keeps entries until evicted. @default 300000 */
  ttlMs?: number;
  /**
   * How often expired entries are dropped. Expired entries are never returned, but without a purge
   * they hold memory until read or evicted. 0 disables the timer.
   * @default 3600000
   */
  purgeIntervalMs?: number;
}

/** An in-process LRU cache with a TTL per entry: the default driver, for one process. */
export function createMemoryCache(options: MemoryCacheOptions = {}): CacheDriver {
  const maxEntries = checkOption('maxEntries', options.maxEntries ?? 10_000, 1);
  const ttlMs = checkOption('ttlMs', options.ttlMs ?? 300_000, 0);
  const purgeIntervalMs = checkOption('purgeIntervalMs', options.purgeIntervalMs ?? 3_600_000, 0);

  const lru = new LRUCache<string, number[]>({ max: maxEntries, ttl: ttlMs });
  let timer: ReturnType<typeof setInterval> | undefined;
  if (purgeIntervalMs > 0) {
    timer = setInterval(() => lru.purgeStale(), purgeIntervalMs);
    // A cache must not keep a Node process alive; browsers' numeric timer ids have no unref.
    (timer as unknown as { unref?: () => void }).unref?.();
  }
  let disposed = false;

  const live = (): LRUCache<string, number[]> => {
    if (disposed) {
      throw new RerankerError(
        'DISPOSED',
        'This memory cache was disposed; create a new one with createMemoryCache() instead of reusing it.',
      );
    }
    return lru;
  };
  // Copies in and out: callers own their arrays, and mutating one must never change a cached score.
  const read = (key: string): CachedLogits | undefined => live().get(key)?.slice();
  const write = (key: string, value: CachedLogits, ttl: number | undefined): void => {
    live().set(key, Array.from(value), ttl === undefined ? undefined : { ttl });
  };

  return {
    name: 'memory',
    async get(key) {
      return read(key);
    },
    async set(key, value, ttl) {
      write(key, value, checkTtl(ttl));
    },
    async getMany(keys) {
      return keys.map(read);
    },
    async setMany(entries, ttl) {
      const checked = checkTtl(ttl);
      for (const [key, value] of entries) write(key, value, checked);
    },
    async delete(key) {
      live().delete(key);
    },
    async clear() {
      live().clear();
    },
    /** Entries held, including expired ones the purge has not dropped yet. */
    async size() {
      return live().size;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (timer !== undefined) clearInterval(timer);
      lru.clear();
    },
  };
}

function checkOption(name: keyof MemoryCacheOptions, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `createMemoryCache: ${name} must be an integer >= ${min}, got ${String(value)}.`,
      { details: { field: name, value } },
    );
  }
  return value;
}

function checkTtl(ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined) return undefined;
  if (!Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new RerankerError(
      'INVALID_INPUT',
      `Memory cache: ttlMs must be a finite number >= 0 (0 means no expiry), got ${String(ttlMs)}.`,
      { details: { field: 'ttlMs', value: ttlMs } },
    );
  }
  return ttlMs;
}
