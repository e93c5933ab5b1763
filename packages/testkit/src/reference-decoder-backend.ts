import {
  loadQwen3Reference,
  type Qwen3ReferenceModel,
  qwen3LastLogits,
  qwen3SeqClsLogit,
} from './qwen3/reference';
import {
  type BackendCandidateLike,
  type BackendLike,
  codedError,
  type EncodedBatchLike,
  type ReferenceBackendOptions,
} from './reference-backend';

/**
 * A backend for core's decoder kinds computed with the float64 Qwen3 reference: each row of a batch
 * becomes prefix + the row's real tokens (the whole prompt; no key/value reuse), and its logits are
 * read at the last position, `[logit(no), logit(yes)]` with the label ids core passes in
 * `BackendLoadOptions.kind` (causal LM), or the seq-cls head's logit. Slow: meant for tiny presets.
 */
export function referenceDecoderBackend(options: ReferenceBackendOptions = {}): BackendCandidateLike {
  const name = options.name ?? 'reference-decoder';
  return {
    name,
    async load({ model, kind }) {
      if (!model.localDir) {
        throw codedError(
          'MODEL_LOAD_FAILED',
          `${name}: ${model.id} has no localDir; the reference reads a folder`,
        );
      }
      const reference = await loadQwen3Reference(model.localDir);
      const seqCls = reference.config.architectures.some((a) => a.endsWith('ForSequenceClassification'));
      if (!seqCls && !kind?.labelTokenIds) {
        throw codedError(
          'MODEL_LOAD_FAILED',
          `${name}: a causal LM needs the label token ids (BackendLoadOptions.kind)`,
        );
      }
      const labels = seqCls ? undefined : kind!.labelTokenIds!;
      return loaded(name, options.device ?? 'cpu', reference, labels);
    },
  };
}

/** The ids of each row: the prefix, then the row's tokens up to its last unmasked one. */
export function promptRows(batch: EncodedBatchLike): number[][] {
  const prefix = Array.from(batch.prefix?.inputIds ?? [], Number);
  return Array.from({ length: batch.rows }, (_, r) => {
    const row = r * batch.width;
    let length = 0; // padding is on the right: the row ends where its mask ends
    for (let t = 0; t < batch.width; t++) if (batch.attentionMask[row + t] !== 0n) length = t + 1;
    return [...prefix, ...Array.from(batch.inputIds.subarray(row, row + length), Number)];
  });
}

function loaded(
  name: string,
  device: string,
  model: Qwen3ReferenceModel,
  labels: { no: number; yes: number } | undefined,
): BackendLike {
  const numLabels = labels ? 2 : 1;
  let disposed = false;
  return {
    name,
    device,
    concurrency: 1,
    async run(batch, runOptions) {
      if (disposed) throw codedError('DISPOSED', `${name}: the backend was disposed`);
      if (runOptions?.signal?.aborted) throw codedError('ABORTED', `${name}: the batch was aborted`);
      await new Promise((resolve) => setImmediate(resolve)); // asynchronous like a real backend
      const logits = new Float32Array(batch.rows * numLabels);
      promptRows(batch).forEach((ids, r) => {
        if (labels) logits.set(qwen3LastLogits(model, ids, [labels.no, labels.yes]), r * 2);
        else logits[r] = qwen3SeqClsLogit(model, ids);
      });
      return logits;
    },
    async dispose() {
      disposed = true;
    },
    describe: () => ({ reference: true, numLabels }),
  };
}
