import type { EncodedBatch } from '../backend';
import { RerankerError } from '../errors';

/** A decoder batch with its prefix written into every row: the whole prompt per row, right-padded. */
export interface JoinedPrefixBatch {
  rows: number;
  width: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** 0, 1, 2... along each row (padding continues the count; it is masked out). */
  positionIds: BigInt64Array;
  /** Each row's last real position: where its logits are read. */
  lastIndex: Int32Array;
}

/**
 * For backends that cannot reuse a prefix's key/values (an export with full-vocabulary logits and no
 * past inputs, say): each row becomes prefix + the row's real tokens, right-padded with `padTokenId`.
 * Read each row's logits at `lastIndex` (for yes/no kinds, `[logits[no], logits[yes]]` with the ids of
 * `BackendKindInfo.labelTokenIds`). A batch without a prefix is returned row for row.
 */
export function joinPrefixRows(batch: EncodedBatch, padTokenId: number): JoinedPrefixBatch {
  const prefix = batch.prefix?.inputIds ?? new BigInt64Array(0);
  const lengths = Array.from({ length: batch.rows }, (_, r) => {
    let length = 0;
    for (let t = 0; t < batch.width; t++) if (batch.attentionMask[r * batch.width + t] !== 0n) length = t + 1;
    return length;
  });
  if (lengths.some((length) => prefix.length + length === 0)) {
    throw new RerankerError('INVALID_INPUT', 'A row of the batch has no tokens to score.');
  }
  const width = prefix.length + Math.max(0, ...lengths);
  const inputIds = new BigInt64Array(batch.rows * width).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(batch.rows * width);
  const positionIds = new BigInt64Array(batch.rows * width);
  const lastIndex = new Int32Array(batch.rows);
  lengths.forEach((length, r) => {
    const at = r * width;
    inputIds.set(prefix, at);
    inputIds.set(batch.inputIds.subarray(r * batch.width, r * batch.width + length), at + prefix.length);
    attentionMask.fill(1n, at, at + prefix.length + length);
    for (let t = 0; t < width; t++) positionIds[at + t] = BigInt(t);
    lastIndex[r] = prefix.length + length - 1;
  });
  return { rows: batch.rows, width, inputIds, attentionMask, positionIds, lastIndex };
}
