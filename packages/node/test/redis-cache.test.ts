import { randomUUID } from 'node:crypto';
import { createMemoryCache } from '@reranker/core';
import { testCacheDriver } from '@reranker/testkit/conformance';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisCache } from '../src/redis/redis-cache';
import { createTieredCache } from '../src/redis/tiered-cache';

const URL = 'redis://127.0.0.1:6379';
// Every driver gets its own prefix under this run's, so tests start empty and cleanup finds them all.
const RUN = `test:${randomUUID()}:`;
const admin = new Redis(URL, { lazyConnect: true });
let drivers = 0;
const prefix = () => `${RUN}${drivers++}:`;

afterAll(async () => {
  const keys = await admin.keys(`${RUN}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

testCacheDriver('redis', () => createRedisCache({ url: URL, keyPrefix: prefix() }));
testCacheDriver('memory+redis', () =>
  createTieredCache(createMemoryCache(), createRedisCache({ url: URL, keyPrefix: prefix() })),
);

testCacheDriver('redis with deduplication', () =>
  createRedisCache({ url: URL, keyPrefix: prefix(), dedupe: true }),
);

describe('redis cache driver', () => {
  it('stores core keys under its prefix with the TTL, and clear leaves other prefixes alone', async () => {
    const mine = prefix();
    const other = prefix();
    const a = createRedisCache({ url: URL, keyPrefix: mine });
    const b = createRedisCache({ url: URL, keyPrefix: other });
    try {
      await a.setMany([['reranker:v1:m@main:k', [0.5, -1]]], 60_000);
      await b.set('reranker:v1:m@main:k', [2]);
      expect(await admin.get(`${mine}reranker:v1:m@main:k`)).toBe('[0.5,-1]');
      const ttl = await admin.pttl(`${mine}reranker:v1:m@main:k`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      await a.clear();
      expect(await a.size()).toBe(0);
      expect(await b.get('reranker:v1:m@main:k')).toEqual([2]);
    } finally {
      await Promise.all([a.dispose(), b.dispose()]);
    }
  });

  it('a prefix with glob characters matches only itself', async () => {
    const base = prefix();
    const star = createRedisCache({ url: URL, keyPrefix: `${base}*:` });
    const plain = createRedisCache({ url: URL, keyPrefix: `${base}x:` });
    try {
      await plain.set('k', [1]);
      expect(await star.size()).toBe(0);
      await star.clear();
      expect(await plain.get('k')).toEqual([1]);
    } finally {
      await Promise.all([star.dispose(), plain.dispose()]);
    }
  });

  it('the memory tier answers from Redis hits and keeps them', async () => {
    const shared = prefix();
    const writer = createRedisCache({ url: URL, keyPrefix: shared });
    const memory = createMemoryCache();
    const tiered = createTieredCache(memory, createRedisCache({ url: URL, keyPrefix: shared }));
    try {
      await writer.set('k', [3.5]);
      expect(await memory.get('k')).toBeUndefined();
      expect(await tiered.getMany(['k', 'absent', 'k'])).toEqual([[3.5], undefined, [3.5]]);
      expect(await memory.get('k')).toEqual([3.5]);
    } finally {
      await Promise.all([writer.dispose(), tiered.dispose()]);
    }
  });

  it('deduplication: a pair claimed by another server is read when it arrives', async () => {
    const shared = prefix();
    const first = createRedisCache({ url: URL, keyPrefix: shared, dedupe: true });
    const second = createRedisCache({ url: URL, keyPrefix: shared, dedupe: { waitMs: 60_000, pollMs: 5 } });
    try {
      // The first server claims the missing pair; a second read in the same process does not wait.
      expect(await first.getMany(['k'])).toEqual([undefined]);
      expect(await first.getMany(['k'])).toEqual([undefined]);
      let answered = false;
      const waiting = second.getMany(['k']).finally(() => {
        answered = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(answered).toBe(false);
      await first.setMany([['k', [0.25]]]);
      expect(await waiting).toEqual([[0.25]]);
      // The claim went with the write, and claims are not entries.
      expect(await admin.exists(`${shared}~claim:k`)).toBe(0);
      expect(await first.size()).toBe(1);
    } finally {
      await Promise.all([first.dispose(), second.dispose()]);
    }
  });

  it('deduplication: a claim whose owner never writes is taken over after waitMs', async () => {
    const shared = prefix();
    const dead = createRedisCache({ url: URL, keyPrefix: shared, dedupe: true });
    const survivor = createRedisCache({ url: URL, keyPrefix: shared, dedupe: { waitMs: 100, pollMs: 10 } });
    try {
      expect(await dead.getMany(['k'])).toEqual([undefined]);
      await dead.dispose();
      expect(await admin.exists(`${shared}~claim:k`)).toBe(1);
      // The survivor waits its bound, then gets a miss: it computes the pair itself.
      expect(await survivor.getMany(['k'])).toEqual([undefined]);
    } finally {
      await survivor.dispose();
    }
  });
});
