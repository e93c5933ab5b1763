import { describe, expect, it } from 'vitest';
import type { TokenizedPair } from '../src/batching';
import type { Backend } from '../src/index';
import { MetricsRecorder, RerankerError, silentLogger, UnifiedReRanker } from '../src/index';
import { BatchScheduler } from '../src/scheduler';
import { heldBackend, localModel, newProbe, probedReference, recordingLogger } from './helpers';

function scheduler(backend: Backend, microBatchWindowMs = 0, batchSize = 8, maxPaddingRatio = 10) {
  return new BatchScheduler({
    backend,
    numLabels: 1,
    padTokenId: 0,
    limits: { batchSize, maxBatchTokens: 100_000, maxPaddingRatio },
    retry: { maxRetries: 0, backoffMs: 1 },
    logger: silentLogger,
    metrics: new MetricsRecorder(),
    microBatchWindowMs,
  });
}

/** Pairs tagged by request: the token after [CLS] is `tag * 1000 + i`. */
const pairs = (tag: number, n: number, length = 10): TokenizedPair[] =>
  Array.from({ length: n }, (_, i) => {
    const inputIds = [101, tag * 1000 + i, ...Array.from({ length: length - 2 }, () => 7)];
    return { inputIds, tokenTypeIds: inputIds.map(() => 0) };
  });
const usage = () => ({ computedPairs: 0, cachedPairs: 0, tokens: 0 });
const settledCount = async (promises: Promise<unknown>[]) => {
  let done = 0;
  for (const p of promises)
    p.then(
      () => done++,
      () => done++,
    );
  await new Promise((r) => setTimeout(r, 1));
  return () => done;
};

describe('BatchScheduler', () => {
  it('a 1000-document request cannot starve a 5-document one (round robin of batch slots)', async () => {
    const held = heldBackend(1);
    const s = scheduler(held.backend);
    const big = s.submit(pairs(1, 1000), { usage: usage() });
    const small = s.submit(pairs(2, 5), { usage: usage() });
    const smallDone = await settledCount(small);
    await held.release(); // batch 1 was planned before the small request arrived: 8 of the big one
    expect(smallDone()).toBe(0);
    await held.release(); // batch 2 alternates between the two requests: 4 slots each
    expect(held.batches[1]!.filter((id) => id >= 2000)).toHaveLength(4);
    expect(smallDone()).toBe(4);
    await held.release(); // batch 3 holds the small request's last pair
    expect(smallDone()).toBe(5);
    // Meanwhile the big request has had 3 batches' worth and the 4th batch is already running.
    expect(s.pending()).toBe(1000 - 8 - 4 - 7 - 8);
    for (const p of [...small]) expect(await p).toHaveLength(1);
    // Let the big request finish so nothing is left pending.
    while (held.waiting.length > 0) await held.release();
    await Promise.all(big);
  });

  it('does not pad short pairs of one request to the long pairs of another (maxPaddingRatio)', async () => {
    const held = heldBackend(1);
    const s = scheduler(held.backend, 0, 8, 0.2);
    const blocker = s.submit(pairs(9, 1), { usage: usage() }); // occupies the worker while both queue
    const short = s.submit(pairs(1, 4, 20), { usage: usage() });
    const long = s.submit(pairs(2, 4, 200), { usage: usage() });
    while (held.waiting.length > 0 || held.batches.length < 3) await held.release();
    await Promise.all([...blocker, ...short, ...long]);
    const mixed = held.batches.filter((ids) => ids.some((id) => id < 2000) && ids.some((id) => id >= 2000));
    expect(mixed.filter((ids) => !ids.includes(9000))).toEqual([]);
    expect(held.batches.slice(1).sort((a, b) => a[0]! - b[0]!)).toEqual([
      [1000, 1001, 1002, 1003],
      [2000, 2001, 2002, 2003],
    ]);
  });

  it('with a worker busy, a free worker waits the window for a fuller batch', async () => {
    const held = heldBackend(2);
    const s = scheduler(held.backend, 40);
    s.submit(pairs(1, 1), { usage: usage() }); // lane 1, all lanes idle: sent at once
    s.submit(pairs(2, 1), { usage: usage() }); // lane 2 free but lane 1 busy: waits up to 40 ms
    await new Promise((r) => setTimeout(r, 5));
    s.submit(pairs(3, 1), { usage: usage() });
    await new Promise((r) => setTimeout(r, 80));
    expect(held.batches.map((b) => b.length)).toEqual([1, 2]);
    await held.release(2);
  });

  it('without a window the free worker takes what is queued at once', async () => {
    const held = heldBackend(2);
    const s = scheduler(held.backend, 0);
    s.submit(pairs(1, 1), { usage: usage() });
    s.submit(pairs(2, 1), { usage: usage() });
    await new Promise((r) => setTimeout(r, 5));
    s.submit(pairs(3, 1), { usage: usage() });
    await new Promise((r) => setTimeout(r, 5));
    expect(held.batches.map((b) => b.length)).toEqual([1, 1]);
    await held.release(3);
    expect(held.batches.map((b) => b.length)).toEqual([1, 1, 1]);
  });

  it("an aborted request's pending pairs are dropped and never computed", async () => {
    const held = heldBackend(1);
    const s = scheduler(held.backend);
    const first = s.submit(pairs(1, 1), { usage: usage() });
    const controller = new AbortController();
    const aborted = s.submit(pairs(2, 20), { signal: controller.signal, usage: usage() });
    for (const p of aborted) p.catch(() => {});
    expect(s.pending()).toBe(20);
    controller.abort();
    expect(s.pending()).toBe(0);
    await expect(aborted[0]).rejects.toMatchObject({ code: 'ABORTED' });
    await held.release();
    await first[0];
    expect(held.batches.flat().some((id) => id >= 2000)).toBe(false);
  });

  it('a failed batch fails its request whole; other requests go on', async () => {
    let runs = 0;
    const backend: Backend = {
      name: 'flaky',
      device: 'cpu',
      async run(batch) {
        runs++;
        const first = Number(batch.inputIds[1]);
        if (first >= 1000 && first < 2000) throw new RerankerError('BACKEND_FAILED', 'boom');
        return new Float32Array(batch.rows);
      },
      async dispose() {},
    };
    const s = scheduler(backend, 0, 4);
    const bad = s.submit(pairs(1, 12), { usage: usage() });
    const good = s.submit(pairs(2, 3), { usage: usage() });
    await expect(Promise.all(bad)).rejects.toMatchObject({ code: 'BACKEND_FAILED' });
    await expect(Promise.all(good)).resolves.toHaveLength(3);
    expect(s.pending()).toBe(0);
    expect(runs).toBeLessThanOrEqual(3);
  });

  it('a backend that returns a logit too few fails the batch, never shifting scores between rows', async () => {
    const backend: Backend = {
      name: 'short-by-one',
      device: 'cpu',
      run: async (batch) => new Float32Array(batch.rows - 1),
      async dispose() {},
    };
    const failed = scheduler(backend).submit(pairs(1, 3), { usage: usage() });
    await expect(Promise.all(failed)).rejects.toMatchObject({
      code: 'BACKEND_FAILED',
      message: expect.stringContaining('short-by-one returned 2 logits for 3 rows × 1 labels'),
    });
  });
});

describe('micro-batching does not change results', () => {
  it('same scores and order with the window on and off, under concurrent requests', async () => {
    const run = async (microBatchWindowMs: number) => {
      const reranker = await UnifiedReRanker.create({
        model: await localModel('tiny'),
        backends: [probedReference(newProbe())],
        logger: recordingLogger(),
        cache: false,
        batchSize: 4,
        microBatchWindowMs,
      });
      try {
        const docs = (tag: string) =>
          Array.from({ length: 9 }, (_, i) => `${tag} passage ${i} ${'word '.repeat(i * 3)}`);
        return await Promise.all(['alpha', 'beta', 'gamma'].map((q) => reranker.rerank(q, docs(q))));
      } finally {
        await reranker.dispose();
      }
    };
    expect(await run(25)).toEqual(await run(0));
  });
});
