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

// Claims need two holders on one store: `peer` opens a second driver on the factory's latest prefix.
let latest = '';
const deduplicating = (keyPrefix: string) => createRedisCache({ url: URL, keyPrefix, dedupe: true });
testCacheDriver(
  'redis with deduplication',
  () => {
    latest = prefix();
    return deduplicating(latest);
  },
  { peer: () => deduplicating(latest) },
);
testCacheDriver(
  'memory+redis with deduplication',
  () => {
    latest = prefix();
    return createTieredCache(createMemoryCache(), deduplicating(latest));
  },
  { peer: () => createTieredCache(createMemoryCache(), deduplicating(latest)) },
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

  it('deduplication: reads never claim; a claimed pair is waited for and read when it arrives', async () => {
    const shared = prefix();
    const first = createRedisCache({ url: URL, keyPrefix: shared, dedupe: true });
    const second = createRedisCache({ url: URL, keyPrefix: shared, dedupe: { waitMs: 60_000, pollMs: 5 } });
    try {
      expect(await first.getMany(['k'])).toEqual([undefined]);
      expect(await admin.exists(`${shared}~claim:k`)).toBe(0);
      // The first server claims the missing pair; a second claim in the same process is its own too.
      expect(await first.claim!(['k'])).toEqual([true]);
      expect(await first.claim!(['k'])).toEqual([true]);
      expect(await second.claim!(['k'])).toEqual([false]);
      let answered = false;
      const waiting = second.wait!(['k']).finally(() => {
        answered = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(answered).toBe(false);
      await first.setMany([['k', [0.25]]]);
      expect(await waiting).toEqual([[0.25]]);
      // Claims are not entries, and release removes the claim.
      expect(await admin.exists(`${shared}~claim:k`)).toBe(1);
      expect(await first.size()).toBe(1);
      await first.release!(['k']);
      expect(await admin.exists(`${shared}~claim:k`)).toBe(0);
    } finally {
      await Promise.all([first.dispose(), second.dispose()]);
    }
  });

  it('deduplication: a pair written since the read is not claimed again but read by the wait', async () => {
    const shared = prefix();
    const first = createRedisCache({ url: URL, keyPrefix: shared, dedupe: true });
    const late = createRedisCache({ url: URL, keyPrefix: shared, dedupe: true });
    try {
      expect(await late.getMany(['k'])).toEqual([undefined]);
      // Between the late server's read and its claim, the first server writes the pair and releases it.
      expect(await first.claim!(['k'])).toEqual([true]);
      await first.setMany([['k', [0.5]]]);
      await first.release!(['k']);
      expect(await late.claim!(['k'])).toEqual([false]);
      expect(await admin.exists(`${shared}~claim:k`)).toBe(0);
      expect(await late.wait!(['k'])).toEqual([[0.5]]);
    } finally {
      await Promise.all([first.dispose(), late.dispose()]);
    }
  });

  it('deduplication: a claim whose owner never writes nor releases is waited out after waitMs', async () => {
    const shared = prefix();
    const dead = createRedisCache({ url: URL, keyPrefix: shared, dedupe: true });
    const survivor = createRedisCache({ url: URL, keyPrefix: shared, dedupe: { waitMs: 300, pollMs: 10 } });
    try {
      expect(await dead.claim!(['k'])).toEqual([true]);
      await dead.dispose();
      expect(await admin.exists(`${shared}~claim:k`)).toBe(1);
      // The survivor waits its bound, then gets a miss: it computes the pair itself.
      const started = Date.now();
      expect(await survivor.wait!(['k'])).toEqual([undefined]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      await survivor.dispose();
    }
  });
});
