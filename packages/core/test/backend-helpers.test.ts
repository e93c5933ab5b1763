import { describe, expect, it } from 'vitest';
import { abortError, checkLogits, type EncodedBatch, RerankerError, sessionInputs } from '../src/index';

const batch: EncodedBatch = {
  rows: 1,
  width: 2,
  inputIds: BigInt64Array.of(101n, 102n),
  attentionMask: BigInt64Array.of(1n, 1n),
  tokenTypeIds: BigInt64Array.of(0n, 0n),
};

describe('sessionInputs', () => {
  it('feeds only the inputs the session declares, each from its own array', () => {
    expect(sessionInputs(batch, ['input_ids', 'attention_mask', 'token_type_ids'])).toEqual({
      input_ids: batch.inputIds,
      attention_mask: batch.attentionMask,
      token_type_ids: batch.tokenTypeIds,
    });
    // XLM-R exports declare no token_type_ids.
    const xlmr = sessionInputs(batch, ['attention_mask', 'input_ids']);
    expect(Object.keys(xlmr).sort()).toEqual(['attention_mask', 'input_ids']);
    expect(xlmr.attention_mask).toBe(batch.attentionMask);
  });

  it('refuses an input no batch array feeds, inherited object keys included', () => {
    for (const name of ['position_ids', 'constructor', '__proto__', 'toString']) {
      expect(() => sessionInputs(batch, ['input_ids', name])).toThrow(
        expect.objectContaining({ code: 'MODEL_LOAD_FAILED', message: expect.stringContaining(name) }),
      );
    }
  });
});

describe('checkLogits', () => {
  it('passes rows × labels logits through and fails any other count with BACKEND_FAILED', () => {
    const logits = new Float32Array(6);
    expect(checkLogits(logits, 3, 2, 'test')).toBe(logits);
    expect(() => checkLogits(logits, 2, 2, 'onnxruntime-node (model.onnx)')).toThrow(
      expect.objectContaining({
        code: 'BACKEND_FAILED',
        message: expect.stringContaining(
          'onnxruntime-node (model.onnx) returned 6 logits for 2 rows × 2 labels',
        ),
      }),
    );
    expect(() => checkLogits(logits, 6, 2, 'test')).toThrow(RerankerError);
  });
});

describe('abortError', () => {
  it("keeps the signal's own RerankerError (a TIMEOUT), else gives ABORTED with the reason as cause", () => {
    const timeout = new RerankerError('TIMEOUT', 'too slow');
    expect(abortError(AbortSignal.abort(timeout))).toBe(timeout);
    const reason = new Error('gone');
    expect(abortError(AbortSignal.abort(reason))).toMatchObject({ code: 'ABORTED', cause: reason });
  });
});
