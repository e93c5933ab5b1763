import { synthesizedModelDir } from '@reranker/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult, CompareRow } from '../src/compare';
import { COMPARE_TARGETS, compareRatios } from '../src/compare-report';
import { buildMixedWorkload, lengthSortedBatches, seededRandom } from '../src/compare-workload';

let dir: string;
beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
});

describe('buildMixedWorkload', () => {
  it('draws documents of every length in range, one token per word, and the same workload per seed', async () => {
    const a = await buildMixedWorkload(dir, { requests: 30, seed: 7, minDocTokens: 32, maxDocTokens: 200 });
    const b = await buildMixedWorkload(dir, { requests: 30, seed: 7, minDocTokens: 32, maxDocTokens: 200 });
    const c = await buildMixedWorkload(dir, { requests: 30, seed: 8, minDocTokens: 32, maxDocTokens: 200 });
    expect(a.requests.map((r) => r.documents)).toEqual(b.requests.map((r) => r.documents));
    expect(a.requests.map((r) => r.documents)).not.toEqual(c.requests.map((r) => r.documents));
    const words = a.requests.flatMap((r) => r.documents.map((d) => d.split(' ').length));
    expect(Math.min(...words)).toBeGreaterThanOrEqual(32);
    expect(Math.max(...words)).toBeLessThanOrEqual(200);
    expect(new Set(words).size).toBeGreaterThan(50); // mixed, not one length
    for (const request of a.requests) {
      expect(request.documents).toHaveLength(20);
      const queryWords = request.query.split(' ').length;
      request.pairs.forEach((pair, i) => {
        // [CLS] query [SEP] document [SEP], each word one token.
        expect(pair.inputIds).toHaveLength(queryWords + request.documents[i]!.split(' ').length + 3);
      });
    }
  });

  it('repeats the requested share of earlier requests exactly, never the first', async () => {
    const w = await buildMixedWorkload(dir, { requests: 40, repeatShare: 0.2, maxDocTokens: 40 });
    expect(w.requests[0]!.repeatOf).toBeUndefined();
    const repeats = w.requests.filter((r) => r.repeatOf !== undefined);
    expect(repeats).toHaveLength(8);
    for (const [i, r] of w.requests.entries()) {
      if (r.repeatOf === undefined) continue;
      expect(r.repeatOf).toBeLessThan(i);
      const original = w.requests[r.repeatOf]!;
      expect([r.query, r.documents]).toEqual([original.query, original.documents]);
    }
    expect(w.requests.map((r) => r.query)).not.toContain(w.warmup.query);
  });

  it('rejects an empty length range', async () => {
    await expect(
      buildMixedWorkload(dir, { requests: 1, minDocTokens: 100, maxDocTokens: 50 }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});

describe('lengthSortedBatches', () => {
  const pair = (n: number) => ({
    inputIds: Array.from({ length: n }, (_, i) => 1000 + i),
    tokenTypeIds: Array.from({ length: n }, (_, i) => (i < 2 ? 0 : 1)),
  });

  it('sorts by length and respects both the row and the padded-token budget', () => {
    const lengths = [50, 10, 40, 20, 30, 60, 5];
    const batches = lengthSortedBatches(lengths.map(pair), 0, {
      batchSize: 3,
      maxBatchTokens: 100,
      maxPaddingRatio: 10,
    });
    expect(batches.map((b) => [b.rows, b.width])).toEqual([
      [3, 20], // 5, 10, 20
      [2, 40], // 30, 40 (a third row of width 50 would be 150 tokens)
      [1, 50],
      [1, 60],
    ]);
    for (const b of batches) expect(b.rows * b.width).toBeLessThanOrEqual(100);
  });

  it('pads with the pad id and masks the padding out', () => {
    const [batch] = lengthSortedBatches([pair(3), pair(1)], 7, {
      batchSize: 16,
      maxBatchTokens: 8192,
      maxPaddingRatio: 10,
    });
    expect(Array.from(batch!.inputIds, Number)).toEqual([1000, 7, 7, 1000, 1001, 1002]);
    expect(Array.from(batch!.attentionMask, Number)).toEqual([1, 0, 0, 1, 1, 1]);
    expect(Array.from(batch!.tokenTypeIds, Number)).toEqual([0, 0, 0, 0, 0, 1]);
  });
});

describe('seededRandom', () => {
  it('stays in [0, 1) and depends on the seed', () => {
    const a = seededRandom(1);
    const values = Array.from({ length: 1000 }, a);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(seededRandom(2)()).not.toBe(seededRandom(1)());
  });
});

describe('compareRatios', () => {
  const row = (name: string, docsPerSecond: number, extra: Partial<CompareRow> = {}) =>
    ({ name, docsPerSecond, eventLoopP99Ms: 5, ...extra }) as CompareRow;
  it('divides the right rows and judges each target', () => {
    const result = {
      rows: [
        row('recipe', 10),
        row('raw', 30),
        row('engine (cache on)', 36),
        row('server, 16 clients', 27, { healthP99Ms: 60, eventLoopP99Ms: 12 }),
      ],
    } as CompareResult;
    const byLabel = Object.fromEntries(compareRatios(result).map((r) => [r.label, r]));
    expect(byLabel['(c) engine, cache on / (a) recipe']).toMatchObject({
      value: 3.6,
      target: COMPARE_TARGETS.engineOverRecipe,
    });
    expect(byLabel['(c) engine, cache on / (b) raw']!.value).toBeCloseTo(1.2);
    expect(byLabel['(d) server / (c) engine, cache on']!.value).toBeCloseTo(0.75);
    expect(byLabel['(d) /health p99 ms']).toMatchObject({ value: 60, atMost: true });
    // No cache-off row in this run, so no ratio for it.
    expect(byLabel['(c) engine, cache off / (b) raw']).toBeUndefined();
  });
});
