import type { EncodedBatch } from './backend';

/** A tokenized pair, ready to be padded into a batch. */
export interface TokenizedPair {
  inputIds: readonly number[];
  tokenTypeIds: readonly number[];
}

export interface BatchLimits {
  /** Most rows in one batch. */
  batchSize: number;
  /** Most padded tokens (rows × padded width) in one batch; a single longer pair still gets a batch of its own. */
  maxBatchTokens: number;
}

/** Which pairs (by index) go into one batch, and the width they are padded to. */
export interface BatchPlan {
  indices: number[];
  width: number;
}

/**
 * Groups pairs of similar length so little compute goes to padding: sort by length, then fill each
 * batch while it stays within both the row and the padded-token limits.
 */
export function planBatches(lengths: readonly number[], limits: BatchLimits): BatchPlan[] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const plans: BatchPlan[] = [];
  let current: BatchPlan | undefined;
  for (const index of order) {
    const length = lengths[index]!;
    // Sorted ascending: adding this pair widens the batch to its length.
    if (
      current &&
      current.indices.length < limits.batchSize &&
      (current.indices.length + 1) * length <= limits.maxBatchTokens
    ) {
      current.indices.push(index);
      current.width = length;
    } else {
      current = { indices: [index], width: length };
      plans.push(current);
    }
  }
  return plans;
}

/** Pads the planned pairs into one row-major int64 batch; padding has attention mask 0. */
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
  return { rows, width, inputIds, attentionMask, tokenTypeIds };
}
