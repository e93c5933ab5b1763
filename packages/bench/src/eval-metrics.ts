// Ranking-quality and ranking-agreement measures of `eval`, with the standard definitions (as trec_eval
// and BEIR compute them). Written here rather than taken from a library: no maintained npm package
// covers nDCG, MRR, Recall and Kendall's tau-b together, and each is a few lines we test by hand.

/** Graded judgements of one query: document id -> relevance (> 0 relevant, 0 judged not relevant). */
export type Judgements = ReadonlyMap<string, number>;

const gain = (judgements: Judgements, id: string) => Math.max(0, judgements.get(id) ?? 0);

/**
 * nDCG@k with linear gain: DCG = Σ_{rank=1..k} rel(rank) / log2(rank + 1), divided by the DCG of the
 * ideal ranking (every judged relevance, highest first, cut at k). 0 when nothing is relevant.
 */
export function ndcgAtK(ranking: readonly string[], judgements: Judgements, k: number): number {
  const dcg = (gains: readonly number[]) =>
    gains.slice(0, k).reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
  const ideal = dcg([...judgements.values()].filter((g) => g > 0).sort((a, b) => b - a));
  if (ideal === 0) return 0;
  return dcg(ranking.map((id) => gain(judgements, id))) / ideal;
}

/** MRR@k of one query: 1 / rank of the first relevant document (relevance > 0) in the top k, else 0. */
export function reciprocalRankAtK(ranking: readonly string[], judgements: Judgements, k: number): number {
  const at = ranking.slice(0, k).findIndex((id) => gain(judgements, id) > 0);
  return at < 0 ? 0 : 1 / (at + 1);
}

/** Recall@k: relevant documents (relevance > 0) in the top k / all relevant documents; 0 when none. */
export function recallAtK(ranking: readonly string[], judgements: Judgements, k: number): number {
  const relevant = [...judgements.values()].filter((g) => g > 0).length;
  if (relevant === 0) return 0;
  return ranking.slice(0, k).filter((id) => gain(judgements, id) > 0).length / relevant;
}

/**
 * Kendall's tau-b of two score lists over the same items (x[i] and y[i] score item i):
 * (concordant − discordant) / sqrt((n0 − tiesX) · (n0 − tiesY)), n0 = n(n−1)/2, where a pair tied in
 * x counts in tiesX, tied in y in tiesY (tied in both: in both, neither concordant nor discordant).
 * Tau-b, not tau-a, because quantized models can give two documents the same score. O(n²), fine for
 * the ~100 candidates of a query. NaN when it is undefined: fewer than two items, or every pair tied
 * in one of the lists.
 */
export function kendallTauB(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new RangeError(`kendallTauB: ${x.length} vs ${y.length} scores`);
  const n = x.length;
  let concordant = 0;
  let discordant = 0;
  let tiesX = 0;
  let tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      if (dx === 0) tiesX++;
      if (dy === 0) tiesY++;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) concordant++;
        else discordant++;
      }
    }
  }
  const pairs = (n * (n - 1)) / 2;
  const denominator = Math.sqrt((pairs - tiesX) * (pairs - tiesY));
  return denominator === 0 ? Number.NaN : (concordant - discordant) / denominator;
}

/**
 * Share of the top k of `a` that is also in the top k of `b`: |top_k(a) ∩ top_k(b)| / min(k, |a|).
 * 1 when both lists are empty.
 */
export function topKOverlap(a: readonly string[], b: readonly string[], k: number): number {
  const size = Math.min(k, a.length);
  if (size === 0) return 1;
  const top = new Set(b.slice(0, k));
  return a.slice(0, k).filter((id) => top.has(id)).length / size;
}

/** Mean of the finite values (NaN for none), and how many were finite. */
export function finiteMean(values: readonly number[]): { mean: number; count: number } {
  const finite = values.filter(Number.isFinite);
  const mean = finite.length === 0 ? Number.NaN : finite.reduce((s, v) => s + v, 0) / finite.length;
  return { mean, count: finite.length };
}
