import type { EncodedBatch } from './backend';
import { RerankerError } from './errors';
import type { SharedPrefix } from './kinds/prompt-encoder';

/** A tokenized pair, ready to be padded into a batch. */
export interface TokenizedPair {
  inputIds: readonly number[];
  tokenTypeIds: readonly number[];
  /**
   * Decoder kinds: the prefix the row continues (`inputIds` hold only the document and the suffix).
   * Pairs of different prefixes never share a batch.
   */
  prefix?: SharedPrefix;
}

/** The scheduler's grouping key of a pair: its prefix's key, or one key for every cross-encoder pair. */
export function batchKey(pair: TokenizedPair): string {
  return pair.prefix?.key ?? '';
}

export interface BatchLimits {
  /** Most rows in one batch. */
  batchSize: number;
  /** Most padded tokens (rows × padded width) in one batch; a single longer pair still gets a batch of its own. */
  maxBatchTokens: number;
  /**
   * Most padding a batch may carry, as a share of its real tokens: a pair that would widen the batch
   * beyond it starts the next batch instead. Padding is compute spent on nothing.
   */
  maxPaddingRatio: number;
}

/**
 * Attention holds rows × width² scores per head: its memory grows with the square of the width, the
 * token budget only linearly. So a batch is also held to the attention of a full token budget of pairs
 * this wide (rows × width² ≤ maxBatchTokens × ATTENTION_WIDTH): up to this width the token budget
 * already implies it; past it long pairs run in smaller batches, or alone, never needing more attention
 * memory than a full batch of 512-token pairs or one pair alone. Without it, MAX_BATCH_TOKENS=65536
 * would put eight 8192-token pairs of XLM-R large (16 heads) in one batch: 8 × 4.3 GB per score tensor.
 */
export const ATTENTION_WIDTH = 512;

/**
 * Whether a batch of `rows` pairs holding `tokens` real tokens, padded to `width`, is within the limits.
 * One pair always fits: a pair longer than every limit still runs, alone.
 */
export function batchFits(rows: number, tokens: number, width: number, limits: BatchLimits): boolean {
  if (rows <= 1) return true;
  const padded = rows * width;
  return (
    rows <= limits.batchSize &&
    padded <= limits.maxBatchTokens &&
    padded * width <= limits.maxBatchTokens * ATTENTION_WIDTH &&
    padded <= tokens * (1 + limits.maxPaddingRatio)
  );
}

/** Which pairs (by index) go into one batch, and the width they are padded to. */
export interface BatchPlan {
  indices: number[];
  width: number;
}

/**
 * Groups pairs of similar length so little compute goes to padding: sort by length, then fill each
 * batch while it stays within the row, padded-token and padding-share limits.
 */
export function planBatches(lengths: readonly number[], limits: BatchLimits): BatchPlan[] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const plans: BatchPlan[] = [];
  let current: BatchPlan | undefined;
  let tokens = 0;
  for (const index of order) {
    const length = lengths[index]!;
    // Sorted ascending: adding this pair widens the batch to its length.
    if (current && batchFits(current.indices.length + 1, tokens + length, length, limits)) {
      current.indices.push(index);
      current.width = length;
      tokens += length;
    } else {
      current = { indices: [index], width: length };
      tokens = length;
      plans.push(current);
    }
  }
  return plans;
}

/**
 * Pads the planned pairs into one row-major int64 batch; padding has attention mask 0. Pairs with a
 * prefix must all share it (the scheduler's `batchKey`); the batch carries it once.
 */
export function buildBatch(
  pairs: readonly TokenizedPair[],
  plan: BatchPlan,
  padTokenId: number,
): EncodedBatch {
  const rows = plan.indices.length;
  const width = plan.width;
  const inputIds = new BigInt64Array(rows * width).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(rows * width);
  const tokenTypeIds = new BigInt64Array(rows * width);
  plan.indices.forEach((pairIndex, row) => {
    const pair = pairs[pairIndex]!;
    const offset = row * width;
    for (let t = 0; t < pair.inputIds.length; t++) {
      inputIds[offset + t] = BigInt(pair.inputIds[t]!);
      attentionMask[offset + t] = 1n;
      tokenTypeIds[offset + t] = BigInt(pair.tokenTypeIds[t]!);
    }
  });
  const prefix = pairs[plan.indices[0]!]?.prefix;
  if (plan.indices.some((i) => pairs[i]!.prefix?.key !== prefix?.key)) {
    throw new RerankerError('INVALID_INPUT', 'A batch must not mix pairs of different prefixes.');
  }
  return prefix
    ? { rows, width, inputIds, attentionMask, tokenTypeIds, prefix }
    : { rows, width, inputIds, attentionMask, tokenTypeIds };
}
