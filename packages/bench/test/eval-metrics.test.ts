// The measures of `eval` against values worked out by hand (the arithmetic is in the comments; log2 3 =
// 1.5849625, log2 5 = 2.3219281, log2 6 = 2.5849625), never against the module's own output.
import { describe, expect, it } from 'vitest';
import {
  finiteMean,
  kendallTauB,
  ndcgAtK,
  recallAtK,
  reciprocalRankAtK,
  topKOverlap,
} from '../src/eval-metrics';

// d1 and d4 very relevant (2), d2 somewhat (1), d3 judged not relevant (0), d5 not judged at all.
const judged = new Map([
  ['d1', 2],
  ['d2', 1],
  ['d3', 0],
  ['d4', 2],
]);
const ranking = ['d3', 'd1', 'd5', 'd2', 'd4'];

describe('nDCG@k (linear gain, log2(rank + 1) discount)', () => {
  it('matches the hand computation on a mixed ranking', () => {
    // DCG@10 = 0/log2 2 + 2/log2 3 + 0/log2 4 + 1/log2 5 + 2/log2 6
    //        = 0 + 1.2618595 + 0 + 0.4306766 + 0.7737056 = 2.4662417
    // IDCG@10 (gains 2, 2, 1) = 2/1 + 2/1.5849625 + 1/2 = 2 + 1.2618595 + 0.5 = 3.7618595
    // nDCG@10 = 2.4662417 / 3.7618595 = 0.6555910
    expect(ndcgAtK(ranking, judged, 10)).toBeCloseTo(0.655591, 6);
  });

  it('cuts both the ranking and the ideal ranking at k', () => {
    // DCG@3 = 2/log2 3 = 1.2618595; IDCG@3 = 3.7618595 (three relevant) -> 0.3354350
    expect(ndcgAtK(ranking, judged, 3)).toBeCloseTo(0.335435, 6);
    // DCG@1 = 0 (d3 is judged 0) -> 0
    expect(ndcgAtK(ranking, judged, 1)).toBe(0);
  });

  it('is 1 for the ideal order and 0 when nothing judged is relevant', () => {
    expect(ndcgAtK(['d4', 'd1', 'd2', 'd3'], judged, 10)).toBeCloseTo(1, 12);
    expect(ndcgAtK(['d1', 'd4', 'd2'], judged, 10)).toBeCloseTo(1, 12); // ties in gain: same DCG
    expect(ndcgAtK(['d1'], new Map([['d1', 0]]), 10)).toBe(0);
  });

  it('is not fooled by a relevance-2 document the ranking missed', () => {
    // Only d1 retrieved: DCG = 2/1 = 2; IDCG = 3.7618595 -> 0.5316520
    expect(ndcgAtK(['d1'], judged, 10)).toBeCloseTo(0.531652, 6);
  });
});

describe('MRR@k', () => {
  it('is 1 / rank of the first document with relevance > 0', () => {
    // d3 (0) at rank 1 does not count; d1 (2) at rank 2 -> 1/2
    expect(reciprocalRankAtK(ranking, judged, 10)).toBe(0.5);
    // d5 (unjudged), d3 (0), d2 (1) -> 1/3
    expect(reciprocalRankAtK(['d5', 'd3', 'd2'], judged, 10)).toBeCloseTo(1 / 3, 12);
  });

  it('is 0 when the first relevant document is below k', () => {
    const late = [...Array.from({ length: 10 }, (_, i) => `x${i}`), 'd1'];
    expect(reciprocalRankAtK(late, judged, 10)).toBe(0);
    expect(reciprocalRankAtK(late, judged, 11)).toBeCloseTo(1 / 11, 12);
  });
});

describe('Recall@k', () => {
  it('counts relevant documents in the top k over all relevant ones', () => {
    // Relevant: d1, d2, d4 (three). Top 2 = d3, d1 -> 1/3; top 4 adds d2 -> 2/3; top 5 adds d4 -> 3/3.
    expect(recallAtK(ranking, judged, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAtK(ranking, judged, 4)).toBeCloseTo(2 / 3, 12);
    expect(recallAtK(ranking, judged, 5)).toBe(1);
    expect(recallAtK(ranking, judged, 100)).toBe(1);
    expect(recallAtK(['d3'], judged, 10)).toBe(0);
  });
});

describe("Kendall's tau-b", () => {
  it('counts concordant and discordant pairs', () => {
    // 6 pairs; only items 1 and 2 swap: C = 5, D = 1, no ties -> (5 - 1) / sqrt(6 · 6) = 4/6
    expect(kendallTauB([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(2 / 3, 12);
    expect(kendallTauB([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
  });

  it('corrects for ties (tau-b, where tau-a would give 4/6)', () => {
    // x = 1 2 2 3, y = 1 2 3 3. Pairs: (0,1) C, (0,2) C, (0,3) C, (1,2) tied in x, (1,3) C, (2,3) tied in y.
    // C = 4, D = 0, n0 = 6, tiesX = 1, tiesY = 1 -> 4 / sqrt(5 · 5) = 0.8
    expect(kendallTauB([1, 2, 2, 3], [1, 2, 3, 3])).toBeCloseTo(0.8, 12);
    // x = 1 1 2, y = 5 5 9: (0,1) tied in both, (0,2) C, (1,2) C -> 2 / sqrt(2 · 2) = 1
    expect(kendallTauB([1, 1, 2], [5, 5, 9])).toBe(1);
  });

  it('is NaN where undefined and refuses lists of different lengths', () => {
    expect(kendallTauB([1], [1])).toBeNaN();
    expect(kendallTauB([3, 3, 3], [1, 2, 3])).toBeNaN();
    expect(() => kendallTauB([1, 2], [1])).toThrow(RangeError);
  });
});

describe('top-k overlap', () => {
  it('is the shared share of the two top k', () => {
    // top 3 of a = p q r, of b = r s p: shared p, r -> 2/3
    expect(topKOverlap(['p', 'q', 'r', 's'], ['r', 's', 'p', 'q'], 3)).toBeCloseTo(2 / 3, 12);
    expect(topKOverlap(['p', 'q'], ['q', 'p'], 10)).toBe(1);
    expect(topKOverlap([], [], 10)).toBe(1);
  });

  it('finiteMean skips undefined taus and says how many it averaged', () => {
    expect(finiteMean([1, Number.NaN, 0.5])).toEqual({ mean: 0.75, count: 2 });
    expect(finiteMean([Number.NaN]).mean).toBeNaN();
  });
});
