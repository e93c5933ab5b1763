import { describe, expect, it } from 'vitest';
import type { TokenizedPair } from '../src/batching';
import type { Backend, BackendCandidate, BackendLoadOptions } from '../src/index';
import { ComputeBudget, MetricsRecorder, RerankerError, silentLogger, UnifiedReRanker } from '../src/index';
import { BatchScheduler } from '../src/scheduler';
import { localModel, newProbe, probedReference, recordingLogger } from './helpers';

const flush = () => new Promise((r) => setTimeout(r, 0));

/**
 * Backends for several models that share one log of running batches: each run waits until the test
 * releases it, so concurrency is observed by counting, never by timing. Logit = first body token id.
 */
function sharedRuns() {
  const running: { model: string; ids: number[]; release: () => void }[] = [];
  const started: string[] = [];
  let maxRunning = 0;
  const backend = (model: string, fail?: (ids: number[]) => boolean, concurrency = 2): Backend => ({
    name: model,
    device: 'cpu',
    concurrency,
    async run(batch) {
      const ids = Array.from({ length: batch.rows }, (_, r) => Number(batch.inputIds[r * batch.width + 1]));
      started.push(model);
      await new Promise<void>((release) => {
        running.push({ model, ids, release });
        maxRunning = Math.max(maxRunning, running.length);
      });
      if (fail?.(ids)) throw new RerankerError('BACKEND_FAILED', 'boom');
      return Float32Array.from(ids);
    },
    async dispose() {},
  });
  /** Ends the oldest running batch and lets whatever it frees start. */
  const releaseOldest = async () => {
    running.shift()?.release();
    await flush();
    await flush();
  };
  return { backend, running, started, releaseOldest, maxRunning: () => maxRunning };
}

function scheduler(backend: Backend, budget: ComputeBudget, weight?: number) {
  return new BatchScheduler({
    backend,
    numLabels: 1,
    padTokenId: 0,
    limits: { batchSize: 1, maxBatchTokens: 100_000, maxPaddingRatio: 10 },
    retry: { maxRetries: 0, backoffMs: 1 },
    logger: silentLogger,
    metrics: new MetricsRecorder(),
    microBatchWindowMs: 0,
    budget: budget.register(backend.name, { weight }),
  });
}

const pairs = (tag: number, n: number): TokenizedPair[] =>
  Array.from({ length: n }, (_, i) => {
    const inputIds = [101, tag * 1000 + i, 7, 102];
    return { inputIds, tokenTypeIds: inputIds.map(() => 0) };
  });
const usage = () => ({ computedPairs: 0, cachedPairs: 0, tokens: 0 });

describe('BatchScheduler with a shared ComputeBudget', () => {
  it("two models' batches never exceed the lanes, and a 50-batch burst on A delays B's batch by one batch at most", async () => {
    const runs = sharedRuns();
    const budget = new ComputeBudget({ lanes: 2 });
    const a = scheduler(runs.backend('a'), budget);
    const b = scheduler(runs.backend('b'), budget);
    const burst = a.submit(pairs(1, 50), { usage: usage() });
    await flush();
    expect(runs.running.map((r) => r.model)).toEqual(['a', 'a']);
    const single = b.submit(pairs(2, 1), { usage: usage() });
    await flush();
    const before = runs.started.length;
    await runs.releaseOldest();
    expect(runs.started.slice(before)).toEqual(['b']); // the lane A freed went to B
    while (runs.running.length > 0) await runs.releaseOldest();
    expect(await Promise.all(single)).toEqual([[2000]]);
    expect((await Promise.all(burst)).map(([l]) => l)).toEqual(pairs(1, 50).map((p) => p.inputIds[1]));
    expect(runs.maxRunning()).toBe(2);
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('weights set the share of lanes between models (2:1), even with one worker each', async () => {
    const runs = sharedRuns();
    const budget = new ComputeBudget({ lanes: 1 });
    const heavy = scheduler(runs.backend('heavy', undefined, 1), budget, 2);
    const light = scheduler(runs.backend('light', undefined, 1), budget);
    const all = [
      ...heavy.submit(pairs(1, 30), { usage: usage() }),
      ...light.submit(pairs(2, 30), { usage: usage() }),
    ];
    await flush();
    for (let i = 0; i < 30; i++) await runs.releaseOldest();
    const first30 = runs.started.slice(0, 30);
    expect(first30.filter((m) => m === 'heavy')).toHaveLength(20);
    while (runs.running.length > 0) await runs.releaseOldest();
    await Promise.all(all);
    expect(runs.maxRunning()).toBe(1);
  });

  it('a failed batch releases its lane; the other model goes on', async () => {
    const runs = sharedRuns();
    const budget = new ComputeBudget({ lanes: 1 });
    const a = scheduler(
      runs.backend('a', () => true),
      budget,
    );
    const b = scheduler(runs.backend('b'), budget);
    const failed = a.submit(pairs(1, 3), { usage: usage() });
    const ok = b.submit(pairs(2, 2), { usage: usage() });
    for (const p of failed) p.catch(() => {});
    await flush();
    while (runs.running.length > 0) await runs.releaseOldest();
    await expect(Promise.all(failed)).rejects.toMatchObject({ code: 'BACKEND_FAILED' });
    expect(await Promise.all(ok)).toEqual([[2000], [2001]]);
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });

  it('a request aborted while its model waits for a lane gives up its place and is never computed', async () => {
    const runs = sharedRuns();
    const budget = new ComputeBudget({ lanes: 1 });
    const a = scheduler(runs.backend('a'), budget);
    const b = scheduler(runs.backend('b'), budget);
    const first = a.submit(pairs(1, 1), { usage: usage() });
    const controller = new AbortController();
    const aborted = b.submit(pairs(2, 3), { signal: controller.signal, usage: usage() });
    for (const p of aborted) p.catch(() => {});
    await flush();
    expect(budget.stats().users.map((u) => u.waiting)).toEqual([0, 1]);
    controller.abort();
    await flush();
    expect(budget.stats()).toMatchObject({ inUse: 1, waiting: 0 });
    await runs.releaseOldest();
    expect(await Promise.all(first)).toEqual([[1000]]);
    expect(runs.started).toEqual(['a']);
    expect(budget.stats()).toMatchObject({ inUse: 0, waiting: 0 });
  });
});

describe('UnifiedReRanker with computeBudget', () => {
  it('hands the budget to the backend, warms up and scores through it, and leaves it on dispose', async () => {
    const seen: BackendLoadOptions[] = [];
    const inner = probedReference(newProbe());
    const candidate: BackendCandidate = {
      name: 'recording',
      load: (options) => {
        seen.push(options);
        return inner.load(options);
      },
    };
    const budget = new ComputeBudget({ lanes: 2, threadsPerLane: 1 });
    const make = (backends: BackendCandidate[], computeBudget?: ComputeBudget) =>
      UnifiedReRanker.create({
        model: localModelSync,
        backends,
        logger: recordingLogger(),
        cache: false,
        computeBudget,
      });
    const localModelSync = await localModel('tiny');
    const shared = await make([candidate], budget);
    const alone = await make([probedReference(newProbe())]);
    expect(seen[0]!.computeBudget).toBe(budget);
    await shared.warmup(); // one run per worker (concurrency 2), each holding a lane
    expect(budget.stats().users).toMatchObject([{ granted: 2, inUse: 0 }]);
    const docs = ['iron is magnetic', 'bananas are yellow', 'cobalt too'];
    expect(await shared.rerank('magnets', docs)).toEqual(await alone.rerank('magnets', docs));
    expect(budget.stats().users).toMatchObject([{ name: 'testkit/tiny', granted: 3, inUse: 0 }]);
    await shared.dispose();
    await alone.dispose();
    expect(budget.stats().users).toEqual([]);
  });

  it('refuses computeWeight without a budget', async () => {
    await expect(
      UnifiedReRanker.create({
        model: await localModel('tiny'),
        backends: [probedReference(newProbe())],
        computeWeight: 2,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
