import { afterEach, describe, expect, it } from 'vitest';
import { type CacheDriver, RerankerError, UnifiedReRanker } from '../src/index';
import {
  deferred,
  failingCandidate,
  localModel,
  newProbe,
  type Probe,
  probedReference,
  recordingLogger,
  transient,
} from './helpers';

const open: UnifiedReRanker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.dispose().catch(() => {})));
});

async function create(probe: Probe, extra: Partial<Parameters<typeof UnifiedReRanker.create>[0]> = {}) {
  const logger = recordingLogger();
  const reranker = await UnifiedReRanker.create({
    model: await localModel('tiny'),
    backends: [probedReference(probe)],
    logger,
    retryBackoffMs: 1,
    ...extra,
  });
  open.push(reranker);
  return { reranker, logger };
}

const docs = (n: number, tag = 'doc') =>
  Array.from({ length: n }, (_, i) => `${tag} number ${i} about rivers`);

describe('pair cache', () => {
  it('a request with 9 cached documents and 1 new one runs the model on 1 pair', async () => {
    const probe = newProbe();
    const { reranker } = await create(probe);
    const first = await reranker.rerank('rivers', docs(9));
    expect(probe.rows).toBe(9);
    const second = await reranker.rerank('rivers', [...docs(9), 'a brand new passage']);
    expect(probe.rows).toBe(10);
    // Cached scores are the computed ones, bit for bit.
    for (const r of first) expect(second.find((s) => s.index === r.index)?.score).toBe(r.score);
    expect(reranker.stats().metrics).toMatchObject({ cache_hits: 9, cache_misses: 10 });
  });

  it('rerankDetailed reports pairs computed and cached, tokens and timings', async () => {
    const probe = newProbe();
    const { reranker } = await create(probe);
    const first = await reranker.rerankDetailed('rivers', docs(3));
    expect(first.usage.computedPairs).toBe(3);
    expect(first.usage.cachedPairs).toBe(0);
    // Each pair is [CLS] query [SEP] document [SEP]: its tokens counted once, padding excluded.
    const perPair = docs(3).map((d) => reranker.countTokens('rivers') + reranker.countTokens(d) + 3);
    expect(first.usage.tokens).toBe(perPair.reduce((a, b) => a + b, 0));
    const second = await reranker.rerankDetailed('rivers', [...docs(3), 'new one']);
    expect(second.usage).toEqual({
      computedPairs: 1,
      cachedPairs: 3,
      tokens: reranker.countTokens('rivers') + reranker.countTokens('new one') + 3,
    });
    expect(second.timings.queueMs).toBeGreaterThanOrEqual(0);
    expect(second.timings.inferenceMs).toBeGreaterThan(0);
    expect(second.results.map((r) => r.index).sort()).toEqual([0, 1, 2, 3]);
  });

  it('clearCache empties the cache: the next request recomputes', async () => {
    const probe = newProbe();
    const { reranker } = await create(probe);
    await reranker.rerank('rivers', docs(3));
    expect((await reranker.info()).cacheSize).toBe(3);
    await reranker.clearCache();
    expect((await reranker.info()).cacheSize).toBe(0);
    await reranker.rerank('rivers', docs(3));
    expect(probe.rows).toBe(6);
  });

  it('warmup runs one short batch per backend lane, outside the cache and the metrics', async () => {
    const probe = newProbe();
    const { reranker } = await create(probe);
    await reranker.warmup();
    expect(probe.runs).toBe(2); // the probed backend declares concurrency 2
    expect(probe.rows).toBe(2);
    expect((await reranker.info()).cacheSize).toBe(0);
    expect(reranker.stats().metrics.total_requests).toBe(0);
  });

  it('useCache: false recomputes everything', async () => {
    const probe = newProbe();
    const { reranker } = await create(probe);
    await reranker.rerank('rivers', docs(3));
    await reranker.rerank('rivers', docs(3), { useCache: false });
    expect(probe.rows).toBe(6);
  });

  it('identical pairs in flight are computed once, within and across requests', async () => {
    const probe = newProbe();
    const gate = deferred();
    probe.gate = gate.promise;
    const { reranker } = await create(probe);
    const a = reranker.rerank('rivers', [...docs(4), ...docs(4)]);
    const b = reranker.rerank('rivers', docs(4));
    await new Promise((r) => setTimeout(r, 20));
    gate.resolve();
    const [ra, rb] = await Promise.all([a, b]);
    expect(probe.rows).toBe(4);
    expect(ra.find((r) => r.index === 5)?.score).toBe(ra.find((r) => r.index === 1)?.score);
    expect(rb.find((r) => r.index === 1)?.score).toBe(ra.find((r) => r.index === 1)?.score);
  });

  it('a pair computed for a running request is shared until that request has written it to the cache', async () => {
    // The gap the server's repeats fell into: a pair's batch done, its request still waiting for its
    // other batches, so the pair was neither in flight nor cached yet, and an identical request recomputed it.
    const probe = newProbe();
    const held = deferred();
    probe.hold = (run) => (run >= 1 ? held.promise : undefined);
    const { reranker } = await create(probe, { batchSize: 1 });
    const a = reranker.rerankDetailed('rivers', docs(3));
    while (probe.rows < 1) await new Promise((r) => setTimeout(r, 2));
    const b = reranker.rerankDetailed('rivers', docs(3));
    await new Promise((r) => setTimeout(r, 20));
    held.resolve();
    const [ra, rb] = await Promise.all([a, b]);
    expect(probe.rows).toBe(3);
    expect(rb.results).toEqual(ra.results);
    expect(rb.usage.computedPairs).toBe(0);
  });

  it('a pair shared from a finished request is not kept after it (the next request reads the cache)', async () => {
    const probe = newProbe();
    const { reranker } = await create(probe, { cache: false });
    await reranker.rerank('rivers', docs(2));
    await reranker.rerank('rivers', docs(2));
    expect(probe.rows).toBe(4);
  });

  it('a cache that throws is logged and bypassed, never failing a rerank', async () => {
    const broken: CacheDriver = {
      name: 'broken',
      get: () => Promise.reject(new Error('cache down')),
      set: () => Promise.reject(new Error('cache down')),
    };
    const probe = newProbe();
    const { reranker, logger } = await create(probe, { cache: broken });
    const results = await reranker.rerank('rivers', docs(3));
    expect(results).toHaveLength(3);
    expect(logger.warnings.join('\n')).toMatch(/cache/i);
  });
});

describe('listeners', () => {
  it('a large request with a signal adds no listener per pair (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const probe = newProbe();
      const { reranker } = await create(probe);
      await reranker.rerank('rivers', docs(60), { signal: new AbortController().signal });
      await reranker.rerank('rivers', docs(60, 'other'), {
        signal: new AbortController().signal,
        useCache: false,
      });
      await new Promise((r) => setTimeout(r, 10)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});

describe('failures and limits', () => {
  it('retries a transient batch failure, then succeeds with the right scores', async () => {
    const clean = newProbe();
    const { reranker: reference } = await create(clean, { cache: false });
    const expected = await reference.rerank('rivers', docs(3));
    const probe = newProbe();
    probe.fail = (run) => {
      if (run < 2) throw transient();
    };
    const { reranker } = await create(probe, { cache: false, maxRetries: 3 });
    expect(await reranker.rerank('rivers', docs(3))).toEqual(expected);
    expect(probe.runs).toBe(3);
  });

  it('a permanent failure surfaces as BACKEND_FAILED, never as made-up scores', async () => {
    const probe = newProbe();
    probe.fail = () => {
      throw transient();
    };
    const { reranker } = await create(probe, { cache: false, maxRetries: 2 });
    const error = await reranker.rerank('rivers', docs(3)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RerankerError);
    expect((error as RerankerError).code).toBe('BACKEND_FAILED');
    expect((error as RerankerError).message).toMatch(/after 3 attempt/);
    expect(reranker.stats().metrics).toMatchObject({ failed_requests: 1, successful_requests: 0 });
  });

  it('an input-independent bug in a backend is not retried', async () => {
    const probe = newProbe();
    probe.fail = () => {
      throw new TypeError('bug');
    };
    const { reranker } = await create(probe, { cache: false, maxRetries: 3 });
    await expect(reranker.rerank('rivers', docs(1))).rejects.toMatchObject({ code: 'BACKEND_FAILED' });
    expect(probe.runs).toBe(1);
  });

  it('workerTimeoutMs bounds inference: TIMEOUT', async () => {
    const probe = newProbe();
    probe.gate = new Promise(() => {}); // never opens
    const { reranker } = await create(probe, { cache: false, workerTimeoutMs: 50 });
    await expect(reranker.rerank('rivers', docs(2))).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('a full queue rejects at once with QUEUE_FULL; waiting too long gives QUEUE_TIMEOUT', async () => {
    const probe = newProbe();
    const gate = deferred();
    probe.gate = gate.promise;
    const { reranker } = await create(probe, {
      cache: false,
      maxParallel: 1,
      maxQueue: 1,
      queueTimeoutMs: 60,
    });
    const running = reranker.rerank('rivers', docs(1, 'a'));
    await new Promise((r) => setTimeout(r, 5));
    const waiting = reranker.rerank('rivers', docs(1, 'b'));
    await expect(reranker.rerank('rivers', docs(1, 'c'))).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await expect(waiting).rejects.toMatchObject({ code: 'QUEUE_TIMEOUT' });
    gate.resolve();
    await expect(running).resolves.toHaveLength(1);
  });

  it('an aborted waiting request leaves the queue without running', async () => {
    const probe = newProbe();
    const gate = deferred();
    probe.gate = gate.promise;
    const { reranker } = await create(probe, { cache: false, maxParallel: 1, maxQueue: 5 });
    const running = reranker.rerank('rivers', docs(1, 'a'));
    await new Promise((r) => setTimeout(r, 5));
    const controller = new AbortController();
    const waiting = reranker.rerank('rivers', docs(3, 'b'), { signal: controller.signal });
    expect(reranker.stats().controller.waiting).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    expect(reranker.stats().controller.waiting).toBe(0);
    gate.resolve();
    await running;
    expect(probe.rows).toBe(1);
  });
});

describe('backend resolution', () => {
  it('falls back to the next candidate and reports the failure in info()', async () => {
    const probe = newProbe();
    const reranker = await UnifiedReRanker.create({
      model: await localModel('tiny'),
      backends: [failingCandidate('gpu-thing', 'no GPU here'), probedReference(probe)],
      logger: recordingLogger(),
    });
    open.push(reranker);
    const info = await reranker.info();
    expect(info.backend).toBe('reference');
    expect(info.backendFallbacks).toEqual([{ candidate: 'gpu-thing', message: 'no GPU here' }]);
  });

  it('when every candidate fails, one error lists each reason', async () => {
    const error = await UnifiedReRanker.create({
      model: await localModel('tiny'),
      backends: [failingCandidate('a', 'reason one'), failingCandidate('b', 'reason two')],
      logger: recordingLogger(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect((error as Error).message).toMatch(/a: reason one; b: reason two/);
    expect((error as RerankerError).details?.failures).toHaveLength(2);
  });
});

describe('batch totals', () => {
  it('stats() counts the batches the backend ran, their rows and padded tokens, exactly', async () => {
    const probe = newProbe();
    // Two pairs a batch, every batch sent at once: 5 documents are 3 batches, 3 are 2 more.
    const { reranker } = await create(probe, { batchSize: 2, microBatchWindowMs: 0 });
    await reranker.rerank('rivers', docs(5));
    await reranker.rerank('how do glaciers carve valleys', [
      'ice',
      'a glacier moves slowly downhill',
      'moraine',
    ]);
    const m = reranker.stats().metrics;
    expect([probe.runs, probe.rows]).toEqual([5, 8]);
    expect(m).toMatchObject({ batches: 5, batch_rows: 8, batch_tokens: probe.tokens });
    expect(Number.isInteger(m.batch_tokens)).toBe(true);
    // The averages are the totals over the batches, rounded to 3 decimals.
    expect(m.avg_rows_per_batch).toBe(1.6);
    expect(m.avg_tokens_per_batch).toBe(Math.round((probe.tokens! / 5) * 1000) / 1000);
  });
});
