import { describe, expect, it } from 'vitest';
import { FairConcurrency, isRerankerError, type UnifiedReRanker } from '../src/index';
import { deferred, probedRerankers } from './helpers';

const createProbed = probedRerankers();
const create = (extra: Parameters<typeof createProbed>[1] = {}) => createProbed('tiny', extra);

const QUERY = 'how do solar panels make electricity';
const DOCS = ['Solar panels turn sunlight into electricity.', 'The recipe needs two eggs.'];
const code = (error: unknown) => (isRerankerError(error) ? error.code : String(error));

describe('withSlot', () => {
  it('holds one slot while the task prepares, and scores in it without queueing again', async () => {
    const { reranker } = await create({ maxParallel: 1, maxQueue: 1 });
    const gate = deferred();
    const held = reranker.withSlot(async (slot) => {
      await gate.promise;
      return slot.rerankDetailed(QUERY, DOCS, { useCache: false });
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(reranker.stats().controller).toMatchObject({ active: 1, waiting: 0 });
    // The one slot is busy preparing: the next request waits, the one after is refused.
    const queued = reranker.rerank(QUERY, DOCS, { useCache: false });
    expect(reranker.stats().controller.waiting).toBe(1);
    expect(code(await reranker.rerank(QUERY, DOCS).catch((e: unknown) => e))).toBe('QUEUE_FULL');
    expect(code(await reranker.withSlot(async () => 1).catch((e: unknown) => e))).toBe('QUEUE_FULL');
    gate.resolve();
    const detailed = await held;
    expect(detailed.results).toEqual(await queued);
    expect(detailed.usage.computedPairs).toBe(2);
    expect(reranker.stats().metrics.errors_by_code).toEqual({ QUEUE_FULL: 2 });
  });

  it('frees the slot when the task fails, and a released slot refuses to score', async () => {
    const { reranker } = await create({ maxParallel: 1, maxQueue: 0 });
    let kept: Parameters<Parameters<UnifiedReRanker['withSlot']>[0]>[0] | undefined;
    const error = await reranker
      .withSlot(async (slot) => {
        kept = slot;
        throw new Error('planning failed');
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('planning failed');
    expect(reranker.stats().controller.active).toBe(0);
    expect(code(await kept!.rerankDetailed(QUERY, DOCS).catch((e: unknown) => e))).toBe('INVALID_INPUT');
    expect(await reranker.rerank(QUERY, DOCS)).toHaveLength(2);
  });

  it('a task waiting for the slot leaves on abort and never runs', async () => {
    const { reranker } = await create({ maxParallel: 1, maxQueue: 1 });
    const gate = deferred();
    const first = reranker.withSlot(() => gate.promise);
    const abort = new AbortController();
    let ran = false;
    const waiting = reranker
      .withSlot(
        async () => {
          ran = true;
        },
        { signal: abort.signal },
      )
      .catch((e: unknown) => e);
    abort.abort();
    expect(code(await waiting)).toBe('ABORTED');
    gate.resolve();
    await first;
    expect(ran).toBe(false);
  });
});

describe('requestSlots', () => {
  it('rerankers on shares of one FairConcurrency share its slots, each counting and draining its own', async () => {
    const slots = new FairConcurrency({ maxParallel: 1, maxQueue: 4 });
    // Its own maxParallel is unused: the share's limits apply.
    const { reranker: a } = await create({ requestSlots: slots.share('a'), maxParallel: 8 });
    const { reranker: b } = await create({ requestSlots: slots.share('b') });
    const gateA = deferred();
    const gateB = deferred();
    const heldA = a.withSlot(() => gateA.promise);
    const heldB = b.withSlot(async (slot) => {
      await gateB.promise;
      return slot.rerankDetailed(QUERY, DOCS, { useCache: false });
    });
    expect(a.stats().controller).toMatchObject({ active: 1, waiting: 0, max_parallel: 1 });
    expect(b.stats().controller).toMatchObject({ active: 0, waiting: 1, available_slots: 0 });
    expect(slots.stats()).toMatchObject({ active: 1, waiting: 1 });
    gateA.resolve();
    await heldA;
    expect(b.stats().controller).toMatchObject({ active: 1, waiting: 0 });
    // Disposing a waits for a's requests only: b still holds the shared slot.
    await a.dispose();
    expect(slots.stats()).toMatchObject({ active: 1 });
    gateB.resolve();
    expect((await heldB).usage.computedPairs).toBe(2);
    expect(slots.stats()).toMatchObject({ active: 0, waiting: 0 });
  });

  it('refuses requestSlots that are not request slots', async () => {
    const error = await create({ requestSlots: {} as never }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', details: { option: 'requestSlots' } });
  });
});

describe('countTokens atMost', () => {
  it('counts exactly below the limit and stops at it', async () => {
    const { reranker } = await create();
    const long = 'solar panels on the roof '.repeat(2000);
    const full = reranker.countTokens(long);
    expect(full).toBeGreaterThan(1000);
    expect(reranker.countTokens(long, { atMost: 100 })).toBe(100);
    expect(reranker.countTokens(long, { atMost: full + 5 })).toBe(full);
    expect(reranker.countTokens('solar panels', { atMost: 100 })).toBe(reranker.countTokens('solar panels'));
    expect(() => reranker.countTokens('x', { atMost: -1 })).toThrow(/atMost/);
  });
});
