import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';

/**
 * Relevance in [0, 1] of each (query, document) pair by the testkit's independent float64 reference
 * pass over the tiny synthesized model the test servers run (one label: the logit's sigmoid), in input
 * order. Documents must fit one window.
 */
export async function referenceRelevance(query: string, documents: readonly string[]): Promise<number[]> {
  const logits = await referencePairScores(await synthesizedModelDir('tiny'), query, documents);
  return logits.map((logit) => 1 / (1 + Math.exp(-logit)));
}

/** The largest gap between `results` (any order, `index` into the documents) and `expected`. */
export function maxGap(
  results: readonly { index: number; relevanceScore: number }[],
  expected: number[],
): number {
  if (results.length === 0) return Number.POSITIVE_INFINITY;
  return Math.max(...results.map((r) => Math.abs(r.relevanceScore - expected[r.index]!)));
}

/** Indices best first by the expected scores (ties by position), as every API must order them. */
export function expectedOrder(expected: readonly number[]): number[] {
  return expected
    .map((score, index) => ({ score, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((r) => r.index);
}
