import { describe, expect, it } from 'vitest';
import {
  applyRope,
  causalAttention,
  kvHeadFor,
  rmsNorm,
  ropeInverseFrequencies,
  sigmoid,
  silu,
} from '../src/qwen3/math';

// The Qwen3 reference is the oracle for the decoder graphs, so its arithmetic is checked against
// hand-computed values, never against a runtime.
describe('Qwen3 reference math', () => {
  it('RMSNorm divides by the root mean square (no mean subtraction) and scales', () => {
    // [3, 4]: mean of squares 12.5, rms sqrt(12.5) = 3.5355339059327378.
    const y = rmsNorm([3, 4], 2, [1, 2], 0);
    expect(y[0]).toBeCloseTo(3 / Math.sqrt(12.5), 15);
    expect(y[1]).toBeCloseTo((2 * 4) / Math.sqrt(12.5), 15);
    // eps enters under the root; rows are normalized apart.
    const rows = rmsNorm([1, 1, 10, 10], 2, [1, 1], 1);
    expect(rows[0]).toBeCloseTo(1 / Math.sqrt(2), 15);
    expect(rows[2]).toBeCloseTo(10 / Math.sqrt(101), 15);
  });

  it('RoPE inverse frequencies are theta^(-2i/d)', () => {
    const inv = ropeInverseFrequencies(4, 10_000);
    expect(Array.from(inv)).toEqual([1, expect.closeTo(0.01, 15)]);
  });

  it('rotate-half RoPE turns pair (i, i + d/2) by position * inv_freq[i]', () => {
    // d = 4: pairs (0, 2) and (1, 3); frequencies [1, 0.5]; position 2 -> angles [2, 1].
    const x = [1, 2, 3, 4];
    const y = applyRope(x, 2, [1, 0.5]);
    const [c0, s0, c1, s1] = [Math.cos(2), Math.sin(2), Math.cos(1), Math.sin(1)];
    expect(y[0]).toBeCloseTo(1 * c0 - 3 * s0, 14);
    expect(y[2]).toBeCloseTo(3 * c0 + 1 * s0, 14);
    expect(y[1]).toBeCloseTo(2 * c1 - 4 * s1, 14);
    expect(y[3]).toBeCloseTo(4 * c1 + 2 * s1, 14);
    // A rotation: norms kept; position 0 is the identity; a quarter turn maps (1, 0) to (0, 1).
    const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
    expect(norm(y)).toBeCloseTo(norm(x), 13);
    expect(Array.from(applyRope(x, 0, [1, 0.5]))).toEqual(x);
    const quarter = applyRope([1, 0], Math.PI / 2, [1]);
    expect(quarter[0]).toBeCloseTo(0, 15);
    expect(quarter[1]).toBeCloseTo(1, 15);
  });

  it('grouped-query attention maps consecutive query heads onto one key/value head', () => {
    // 16 heads over 8 kv heads (qwen3-0.6b): heads 0,1 -> 0; 2,3 -> 1; ... 14,15 -> 7.
    expect(Array.from({ length: 16 }, (_, h) => kvHeadFor(h, 16, 8))).toEqual([
      0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7,
    ]);
    expect(Array.from({ length: 4 }, (_, h) => kvHeadFor(h, 4, 2))).toEqual([0, 0, 1, 1]);
    expect(kvHeadFor(3, 4, 4)).toBe(3);
  });

  it('attention of two query heads reads the kv head of their group, with 1/sqrt(d) scaling', () => {
    // T = 2, d = 2, 2 query heads, 1 kv head: both heads see the same keys and values.
    const k = Float64Array.from([1, 0, 0, 1]);
    const v = Float64Array.from([10, 20, 30, 40]);
    const q = Float64Array.from([0, 0, 0, 0, 2, 0, 0, 2]);
    const out = causalAttention(q, k, v, 2, 2, 1, 2);
    // Position 0 sees only itself.
    expect(Array.from(out.subarray(0, 4))).toEqual([10, 20, 10, 20]);
    // Position 1, head 0: scores [2, 0] / sqrt(2); head 1: [0, 2] / sqrt(2).
    const p = 1 / (1 + Math.exp(-2 / Math.SQRT2));
    expect(out[4]).toBeCloseTo(p * 10 + (1 - p) * 30, 13);
    expect(out[5]).toBeCloseTo(p * 20 + (1 - p) * 40, 13);
    expect(out[6]).toBeCloseTo((1 - p) * 10 + p * 30, 13);
    expect(out[7]).toBeCloseTo((1 - p) * 20 + p * 40, 13);
  });

  it('causal mask: changing a later token leaves earlier outputs unchanged', () => {
    const q = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const k = Float64Array.from([1, -1, 2, 0, 0.5, 3]);
    const v1 = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const v2 = Float64Array.from([1, 2, 3, 4, 500, -600]);
    const a = causalAttention(q, k, v1, 3, 1, 1, 2);
    const b = causalAttention(q, k, v2, 3, 1, 1, 2);
    expect(Array.from(a.subarray(0, 4))).toEqual(Array.from(b.subarray(0, 4)));
    expect(a[4]).not.toBeCloseTo(b[4]!, 3);
  });

  it('SiLU and the logistic function', () => {
    expect(silu(1)).toBeCloseTo(0.7310585786300049, 15);
    expect(silu(-2)).toBeCloseTo(-0.2384058440442351, 15);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-800)).toBeGreaterThanOrEqual(0);
    expect(sigmoid(2)).toBeCloseTo(0.8807970779778823, 15);
  });
});
