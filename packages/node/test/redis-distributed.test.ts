import { randomUUID } from 'node:crypto';
import type { BackendCandidate, Logger, UnifiedReRanker } from '@reranker/core';
import { referenceBackend, synthesizedModelDir } from '@reranker/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createReranker, distributedStatus, loadConfig } from '../src/index';

const RUN = `test:${randomUUID()}:`;
const admin = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
const open: UnifiedReRanker[] = [];
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.dispose()));
});
afterAll(async () => {
  const keys = await admin.keys(`${RUN}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

/** One "server": its own engine and memory tier, sharing Redis under `prefix`. */
async function server(
  prefix: string,
  env: Record<string, string> = {},
  backend: BackendCandidate = referenceBackend() as unknown as BackendCandidate,
): Promise<UnifiedReRanker> {
  const reranker = await createReranker({
    model: await synthesizedModelDir('tiny'),
    env: { ENABLE_DISTRIBUTED: 'true', REDIS_KEY_PREFIX: prefix, ...env },
    backends: [backend],
    logger: quiet,
    progress: 'none',
  });
  open.push(reranker);
  return reranker;
}

/** The reference backend, counting the rows it computes and holding runs until `open` resolves. */
function gated(open: Promise<void>, counter: { rows: number; started: () => void }): BackendCandidate {
  const inner = referenceBackend() as unknown as BackendCandidate;
  return {
    name: 'reference',
    async load(options) {
      const backend = await inner.load(options);
      return {
        ...backend,
        name: backend.name,
        device: backend.device,
        async run(batch, runOptions) {
          counter.started();
          await open;
          const logits = await backend.run(batch, runOptions);
          counter.rows += batch.rows;
          return logits;
        },
        dispose: () => backend.dispose(),
      };
    },
  };
}

const QUERY = 'which metals are magnetic';
const DOCS = [
  'Iron, nickel and cobalt are ferromagnetic metals.',
  'Aluminium is not attracted to a fridge magnet.',
  'The museum opens at nine on weekdays.',
];

describe('distributed mode configuration', () => {
  it('is off by default, with the documented Redis defaults', () => {
    expect(loadConfig({})).toMatchObject({
      distributed: false,
      redisUrl: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'reranker:',
      redisTimeoutMs: 200,
    });
  });

  it('reads the variables and rejects a URL that is not redis://', () => {
    const env = {
      ENABLE_DISTRIBUTED: 'yes',
      REDIS_URL: 'rediss://:secret@cache.internal:6380/2',
      REDIS_KEY_PREFIX: 'staging:',
      REDIS_TIMEOUT_MS: '50',
    };
    expect(loadConfig(env)).toMatchObject({
      distributed: true,
      redisUrl: 'rediss://:secret@cache.internal:6380/2',
      redisKeyPrefix: 'staging:',
      redisTimeoutMs: 50,
    });
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ REDIS_TIMEOUT_MS: '0' })).toThrow(/REDIS_TIMEOUT_MS/);
  });
});

describe('two servers sharing Redis', () => {
  it('a pair computed by one server is a cache hit for the other', async () => {
    const prefix = `${RUN}share:`;
    const first = await server(prefix);
    const second = await server(prefix);
    const computed = await first.rerankDetailed(QUERY, DOCS);
    expect(computed.usage).toMatchObject({ computedPairs: 3, cachedPairs: 0 });
    expect(await admin.keys(`${prefix}reranker:v2:*`)).toHaveLength(3);

    const shared = await second.rerankDetailed(QUERY, [...DOCS, 'Copper is not magnetic.']);
    expect(shared.usage).toMatchObject({ computedPairs: 1, cachedPairs: 3 });
    const scores = (r: typeof computed) => r.results.slice().sort((a, b) => a.index - b.index);
    expect(
      scores(shared)
        .slice(0, 3)
        .map((r) => r.score),
    ).toEqual(scores(computed).map((r) => r.score));

    // The pair the second server computed is now shared back.
    const back = await first.rerankDetailed(QUERY, ['Copper is not magnetic.']);
    expect(back.usage).toMatchObject({ computedPairs: 0, cachedPairs: 1 });
  });

  it('another prefix is another cache', async () => {
    const first = await server(`${RUN}a:`);
    const second = await server(`${RUN}b:`);
    await first.rerank(QUERY, DOCS);
    expect((await second.rerankDetailed(QUERY, DOCS)).usage.cachedPairs).toBe(0);
  });

  it('distributedStatus reports Redis health only for distributed rerankers', async () => {
    const distributed = await server(`${RUN}status:`);
    await distributed.rerank(QUERY, DOCS);
    expect(distributedStatus(distributed)).toMatchObject({ enabled: true, redis: 'ok' });
    const local = await server(`${RUN}status:`, { ENABLE_DISTRIBUTED: 'false' });
    expect(distributedStatus(local)).toEqual({ enabled: false, redis: null, sharedCache: null });
    expect((await local.rerankDetailed(QUERY, DOCS)).usage.cachedPairs).toBe(0);
  });

  it('info().cacheSize is the memory tier; the Redis entries are counted in the background', async () => {
    const prefix = `${RUN}size:`;
    const writer = await server(prefix, { REDIS_SIZE_SAMPLE_MS: '50' });
    const reader = await server(prefix, { REDIS_SIZE_SAMPLE_MS: '50' });
    await writer.rerank(QUERY, DOCS);
    expect((await writer.info()).cacheSize).toBe(DOCS.length);
    // The reader's memory holds nothing; Redis holds what the writer computed.
    expect((await reader.info()).cacheSize).toBe(0);
    await vi.waitFor(() =>
      expect(distributedStatus(reader).sharedCache).toEqual({
        keys: DOCS.length,
        sampledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    );
    // Sampling off: no count at all, rather than a stale one.
    const unsampled = await server(prefix, { REDIS_SIZE_SAMPLE_MS: '0' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(distributedStatus(unsampled).sharedCache).toBeNull();
  });

  it('servers that miss the same pairs at once compute them once', async () => {
    const prefix = `${RUN}dedupe:`;
    let release!: () => void;
    const open = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const counters = [
      { rows: 0, started },
      { rows: 0, started: () => {} },
    ];
    const first = await server(prefix, {}, gated(open, counters[0]!));
    const second = await server(prefix, {}, gated(Promise.resolve(), counters[1]!));
    const a = first.rerankDetailed(QUERY, DOCS);
    // The first server has claimed the pairs and is computing them when the second asks.
    await running;
    const b = second.rerankDetailed(QUERY, DOCS);
    // Time for the second server to find the pairs claimed (without deduplication it would compute them).
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    const [ra, rb] = await Promise.all([a, b]);
    expect(counters[0]!.rows).toBe(DOCS.length);
    expect(counters[1]!.rows).toBe(0);
    expect(rb.usage).toMatchObject({ computedPairs: 0, cachedPairs: DOCS.length });
    expect(rb.results).toEqual(ra.results);
  });
});
