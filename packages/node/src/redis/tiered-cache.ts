import {
  type CacheClaims,
  type CacheDriver,
  type CachedLogits,
  type Logger,
  silentLogger,
} from '@reranker/core';
import type { StoreDriver } from './redis-cache';

export interface TieredCacheOptions {
  /** Where failures of the shared tier are reported (at debug: the shared driver reports outages itself). */
  logger?: Logger;
}

type Entry = readonly [string, CachedLogits];

/**
 * An in-process tier in front of a shared one (memory in front of Redis): reads try memory first and
 * ask the shared tier only for the misses, copying its hits into memory; writes go to both. A failing
 * shared tier never fails a call: memory keeps answering, so a server runs on its own while Redis is down.
 * Entries copied from the shared tier live for the memory tier's default TTL (scores never change for a
 * key, so a longer local life is harmless); `clear` empties this server's memory and the shared store,
 * not the other servers' memory; `size` counts the memory tier only (O(1), see there). Claims (`claim`,
 * `wait`, `release`) are the shared tier's, when it has them; what a wait brings is copied into memory
 * like a shared hit.
 */
export function createTieredCache(
  memory: CacheDriver,
  shared: CacheDriver,
  options: TieredCacheOptions = {},
): StoreDriver {
  const logger = options.logger ?? silentLogger;
  /** The shared tier's answer, or `fallback` when it fails. */
  const tryShared = async <T>(operation: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      logger.debug({ cache: shared.name, operation, error: String(error) }, 'shared cache tier failed');
      return fallback;
    }
  };

  const getMany = async (keys: readonly string[]): Promise<(CachedLogits | undefined)[]> => {
    const values = await readMany(memory, keys);
    const missing = [...new Set(keys.filter((_, index) => values[index] === undefined))];
    if (missing.length === 0) return values;
    const found = await tryShared('read', () => readMany(shared, missing), []);
    const hits = new Map<string, CachedLogits>();
    for (const [index, key] of missing.entries()) {
      const value = found[index];
      if (value !== undefined && value !== null) hits.set(key, value);
    }
    if (hits.size === 0) return values;
    // Only well-formed logits are worth keeping close; anything else goes on for core to reject.
    await writeMany(
      memory,
      [...hits].filter(([, value]) => isLogits(value)),
    );
    return keys.map((key, index) => values[index] ?? hits.get(key));
  };

  const setMany = async (entries: readonly Entry[], ttlMs?: number): Promise<void> => {
    await writeMany(memory, entries, ttlMs);
    await tryShared('write', () => writeMany(shared, entries, ttlMs), undefined);
  };

  const claiming: Partial<CacheClaims> =
    shared.claim && shared.wait && shared.release
      ? {
          claim: (keys) => shared.claim!(keys),
          async wait(keys, signal) {
            const values = await shared.wait!(keys, signal);
            const arrived = keys.flatMap((key, index) => {
              const value = values[index];
              return isLogits(value) ? [[key, value] as const] : [];
            });
            await writeMany(memory, arrived);
            return values;
          },
          release: (keys) => shared.release!(keys),
        }
      : {};

  return {
    ...claiming,
    name: `${memory.name}+${shared.name}`,
    async get(key) {
      return (await getMany([key]))[0];
    },
    async set(key, value, ttlMs) {
      await setMany([[key, value]], ttlMs);
    },
    getMany,
    setMany,
    async delete(key) {
      await memory.delete?.(key);
      await tryShared('delete', async () => shared.delete?.(key), undefined);
    },
    async clear() {
      await memory.clear?.();
      await tryShared('clear', async () => shared.clear?.(), undefined);
    },
    async size() {
      // This server's memory tier only: info() and /health read it on every probe, and counting the
      // shared tier's entries (a Redis SCAN) is O(keys). distributedCache samples that in the background.
      return (await memory.size?.()) ?? 0;
    },
    async dispose() {
      await Promise.all([memory.dispose?.(), shared.dispose?.()]);
    },
  };
}

function readMany(driver: CacheDriver, keys: readonly string[]): Promise<(CachedLogits | undefined)[]> {
  if (driver.getMany) return driver.getMany(keys);
  return Promise.all(keys.map((key) => driver.get(key)));
}

async function writeMany(driver: CacheDriver, entries: readonly Entry[], ttlMs?: number): Promise<void> {
  if (entries.length === 0) return;
  if (driver.setMany) return driver.setMany(entries, ttlMs);
  await Promise.all(entries.map(([key, value]) => driver.set(key, value, ttlMs)));
}

function isLogits(value: unknown): value is CachedLogits {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'number' && Number.isFinite(item))
  );
}
