import { testCacheDriver } from '@reranker/testkit/conformance';
import { LRUCache } from 'lru-cache';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryCache } from '../src/cache/memory';
import { isRerankerError } from '../src/errors';

testCacheDriver('memory', () => createMemoryCache());
testCacheDriver('memory without a purge timer', () => createMemoryCache({ purgeIntervalMs: 0, ttlMs: 0 }));

describe('createMemoryCache', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('evicts the least recently used entries beyond maxEntries', async () => {
    const cache = createMemoryCache({ maxEntries: 3 });
    await cache.set('a', [1]);
    await cache.set('b', [2]);
    await cache.set('c', [3]);
    await cache.get('a'); // now b is the least recently used
    await cache.set('d', [4]);
    await cache.setMany!([['e', [5]]]);
    expect(await cache.size!()).toBe(3);
    expect(await cache.getMany!(['a', 'b', 'c', 'd', 'e'])).toEqual([[1], undefined, undefined, [4], [5]]);
    await cache.dispose!();
  });

  it('applies the default ttlMs and lets set override it', async () => {
    const cache = createMemoryCache({ ttlMs: 40, purgeIntervalMs: 0 });
    await cache.set('default', [1]);
    await cache.set('forever', [2], 0);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await cache.get('default')).toBeUndefined();
    expect(await cache.get('forever')).toEqual([2]);
    await cache.dispose!();
  });

  it('purges expired entries on the interval', async () => {
    const cache = createMemoryCache({ purgeIntervalMs: 20 });
    await cache.set('short', [1], 10);
    await cache.set('long', [2]);
    expect(await cache.size!()).toBe(2);
    // size() counts expired entries until they are purged, so it drops to 1 only through the timer.
    await vi.waitFor(async () => expect(await cache.size!()).toBe(1), { timeout: 2000, interval: 10 });
    expect(await cache.get('long')).toEqual([2]);
    await cache.dispose!();
  });

  it('keeps expired entries counted when the purge is disabled', async () => {
    const cache = createMemoryCache({ purgeIntervalMs: 0 });
    await cache.set('short', [1], 10);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await cache.size!()).toBe(1);
    expect(await cache.get('short')).toBeUndefined();
    await cache.dispose!();
  });

  it('runs the purge on its interval and stops it on dispose', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const purge = vi.spyOn(LRUCache.prototype, 'purgeStale');
    const cache = createMemoryCache({ purgeIntervalMs: 1000 });
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(3500);
    expect(purge).toHaveBeenCalledTimes(3);
    await cache.dispose!();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(purge).toHaveBeenCalledTimes(3);
  });

  it('starts no timer when purgeIntervalMs is 0', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    createMemoryCache({ purgeIntervalMs: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses use after dispose with DISPOSED', async () => {
    const cache = createMemoryCache();
    await cache.set('a', [1]);
    await cache.dispose!();
    const error = await cache.get('a').catch((e: unknown) => e);
    expect(isRerankerError(error, 'DISPOSED')).toBe(true);
  });

  it.each([
    [{ maxEntries: 0 }, 'maxEntries'],
    [{ maxEntries: 1.5 }, 'maxEntries'],
    [{ ttlMs: -1 }, 'ttlMs'],
    [{ purgeIntervalMs: Number.NaN }, 'purgeIntervalMs'],
  ])('rejects %o with INVALID_CONFIG', (options, field) => {
    let error: unknown;
    try {
      createMemoryCache(options);
    } catch (e) {
      error = e;
    }
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toContain(field);
  });

  it('rejects a negative per-entry ttlMs', async () => {
    const cache = createMemoryCache();
    const error = await cache.set('a', [1], -5).catch((e: unknown) => e);
    expect(isRerankerError(error, 'INVALID_INPUT')).toBe(true);
    await cache.dispose!();
  });
});
