import { RerankerError } from './errors';

/** A pair's scores, derived from the model's logits. */
export interface PairScore {
  /** The raw logit (one-label models) or positive-minus-negative logit (two labels). */
  score: number;
  /** Probability of relevance in [0, 1]: sigmoid of the logit, or the positive label's softmax probability. */
  relevanceScore: number;
}

/** Logistic function in float64, written so neither tail overflows. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * Scores from one pair's logits. One label: the logit and its sigmoid (never a softmax over a single
 * logit, which is always 1). Two labels: softmax([l0, l1])[1] equals sigmoid(l1 - l0), so the score is
 * the difference and ordering by score equals ordering by probability.
 */
export function scoreFromLogits(logits: ArrayLike<number>): PairScore {
  if (logits.length === 1) {
    const score = logits[0]!;
    return { score, relevanceScore: sigmoid(score) };
  }
  if (logits.length === 2) {
    const score = logits[1]! - logits[0]!;
    return { score, relevanceScore: sigmoid(score) };
  }
  throw new RerankerError(
    'MODEL_LOAD_FAILED',
    `The model has ${logits.length} output labels; a cross-encoder reranker needs 1 (a relevance logit) or 2 (not relevant, relevant).`,
  );
}
