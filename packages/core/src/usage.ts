/**
 * What a call to `PairScorer.logits` cost. Its own module: the scorer fills `cachedPairs`, the batch
 * scheduler it calls fills the rest, and neither imports the other's types for it.
 */
export interface ScoringUsage {
  /** Pairs the model ran on (cache misses, not shared with another request). */
  computedPairs: number;
  /** Pairs answered by the cache. */
  cachedPairs: number;
  /** Tokens of the pairs the model ran on, special tokens included, padding excluded. */
  tokens: number;
}
