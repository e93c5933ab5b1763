import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { engineModelDir } from '../src/engine-model';
import { fixedFeeds } from '../src/fusion-feeds';
import { backendSessionOptions } from '../src/fusion-ops';
import { kernelTimes, kernelTotal } from '../src/fusion-profile';

describe('kernelTimes', () => {
  it.each([false, true])('follows the If into the branch a batch takes (padded: %s)', async (padded) => {
    const dir = await engineModelDir('tiny');
    const file = join(dir, 'onnx', 'model.onnx');
    const session = await ort.InferenceSession.create(file);
    const feeds = await fixedFeeds(session, dir, 'tiny', { batchSize: 4, pairTokens: 16, padded } as never);
    await session.release();
    const times = await kernelTimes(file, feeds, backendSessionOptions(1, false), 3);
    expect(times.If).toBeGreaterThan(0);
    // The flash branch holds MultiHeadAttention; the padded one the standard nodes.
    if (padded) {
      expect(times.Softmax).toBeGreaterThan(0);
      expect(times.MultiHeadAttention).toBeUndefined();
    } else {
      expect(times.MultiHeadAttention).toBeGreaterThan(0);
      expect(times.Softmax).toBeUndefined();
    }
    expect(times.MatMul).toBeGreaterThan(0);
  });

  it('leaves If out of the total (its time is its branch nodes)', () => {
    expect(kernelTotal({ If: 5, MultiHeadAttention: 4.5, MatMul: 10 })).toBe(14.5);
  });
});
