import { describe, expect, it } from 'vitest';
import { buildBatch, planBatches } from '../src/batching';

describe('planBatches', () => {
  it('sorts by length and respects both the row and the padded-token limits', () => {
    const lengths = [50, 10, 12, 48, 11, 49, 100];
    const plans = planBatches(lengths, { batchSize: 3, maxBatchTokens: 150, maxPaddingRatio: 10 });
    // Sorted: 10(#1) 11(#4) 12(#2) | 48(#3) 49(#5) 50(#0): 3 × 50 = 150 fits exactly | 100(#6): rows full.
    expect(plans).toEqual([
      { indices: [1, 4, 2], width: 12 },
      { indices: [3, 5, 0], width: 50 },
      { indices: [6], width: 100 },
    ]);
    expect(planBatches(lengths, { batchSize: 3, maxBatchTokens: 149, maxPaddingRatio: 10 })[1]).toEqual({
      indices: [3, 5],
      width: 49,
    });
  });

  it('gives a pair longer than the token budget a batch of its own', () => {
    expect(planBatches([600, 5], { batchSize: 8, maxBatchTokens: 512, maxPaddingRatio: 10 })).toEqual([
      { indices: [1], width: 5 },
      { indices: [0], width: 600 },
    ]);
  });

  it('covers every pair exactly once, ties in input order', () => {
    const lengths = [7, 7, 7, 3, 7];
    const plans = planBatches(lengths, { batchSize: 2, maxBatchTokens: 1000, maxPaddingRatio: 10 });
    expect(plans.flatMap((p) => p.indices)).toEqual([3, 0, 1, 2, 4]);
    expect(plans.every((p) => p.indices.length <= 2)).toBe(true);
  });

  it('starts a new batch rather than pad beyond maxPaddingRatio of the real tokens', () => {
    // Sorted 100 100 110 | 200 210: adding 200 to the first batch pads 4 × 200 = 800 against 510 real.
    const lengths = [200, 100, 110, 210, 100];
    const limits = { batchSize: 8, maxBatchTokens: 100_000, maxPaddingRatio: 0.2 };
    expect(planBatches(lengths, limits)).toEqual([
      { indices: [1, 4, 2], width: 110 }, // 330 padded, 310 real: 6 % padding
      { indices: [0, 3], width: 210 },
    ]);
    // With no padding allowed only equal lengths share a batch; with a lax bound all five do.
    expect(planBatches(lengths, { ...limits, maxPaddingRatio: 0 }).map((p) => p.indices)).toEqual([
      [1, 4],
      [2],
      [0],
      [3],
    ]);
    expect(planBatches(lengths, { ...limits, maxPaddingRatio: 1 })).toHaveLength(1);
  });

  it('holds pairs past 512 tokens to the attention of a full budget of 512-token pairs', () => {
    const limits = { batchSize: 32, maxBatchTokens: 8192, maxPaddingRatio: 0.2 };
    // 16 pairs of 8192 tokens (RERANKER_MAX_LENGTH=8192): one per batch, also under a token budget of
    // 65536 that would take eight of them.
    const long = Array.from({ length: 16 }, () => 8192);
    for (const maxBatchTokens of [8192, 65536]) {
      const plans = planBatches(long, { ...limits, maxBatchTokens });
      expect(plans.map((p) => p.indices.length)).toEqual(long.map(() => 1));
    }
    // rows × width² ≤ 8192 × 512: four 1024-token pairs share a batch (the token budget alone allows 8),
    // 512-token pairs still fill the token budget, and 2048-token pairs run alone.
    expect(planBatches(Array(8).fill(1024), limits).map((p) => p.indices.length)).toEqual([4, 4]);
    expect(planBatches(Array(16).fill(512), limits).map((p) => p.indices.length)).toEqual([16]);
    expect(planBatches(Array(3).fill(2048), limits).map((p) => p.indices.length)).toEqual([1, 1, 1]);
    // A larger token budget lets proportionally more attention through.
    expect(
      planBatches(Array(8).fill(2048), { ...limits, maxBatchTokens: 65536 }).map((p) => p.indices.length),
    ).toEqual([8]);
  });

  it('returns no batches for no pairs', () => {
    expect(planBatches([], { batchSize: 4, maxBatchTokens: 100, maxPaddingRatio: 10 })).toEqual([]);
  });
});

describe('buildBatch', () => {
  it('pads rows to the plan width with the pad id and a zero attention mask', () => {
    const pairs = [
      { inputIds: [101, 7, 102, 8, 102], tokenTypeIds: [0, 0, 0, 1, 1] },
      { inputIds: [101, 9, 102], tokenTypeIds: [0, 0, 0] },
    ];
    const batch = buildBatch(pairs, { indices: [1, 0], width: 5 }, 0);
    expect(batch.rows).toBe(2);
    expect(batch.width).toBe(5);
    expect(Array.from(batch.inputIds, Number)).toEqual([101, 9, 102, 0, 0, 101, 7, 102, 8, 102]);
    expect(Array.from(batch.attentionMask, Number)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(batch.tokenTypeIds, Number)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  });

  it('uses the model pad id (XLM-R pads with 1)', () => {
    const batch = buildBatch(
      [{ inputIds: [0, 5, 2], tokenTypeIds: [0, 0, 0] }],
      { indices: [0], width: 4 },
      1,
    );
    expect(Array.from(batch.inputIds, Number)).toEqual([0, 5, 2, 1]);
  });
});
