import { describe, expect, it } from 'vitest';
import { erf, gelu, layerNorm, linear, matrix, softmax } from '../src/reference-math';

// The reference pass is the oracle for every backend, so its own arithmetic is checked against
// published values and hand-computed cases rather than against any runtime.
describe('reference math', () => {
  it('erf matches tabulated values across the series and continued-fraction ranges', () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [3.5, 0.9999992569016276],
      [5, 0.9999999999984626],
    ];
    for (const [x, value] of table) {
      expect(erf(x)).toBeCloseTo(value, 13);
      expect(erf(-x)).toBeCloseTo(-value, 13);
    }
  });

  it('gelu is the exact erf form, not the tanh approximation', () => {
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 13);
    expect(gelu(-1)).toBeCloseTo(-0.15865525393145707, 13);
    // The tanh approximation gives 0.8411919906082768 at 1: far outside this tolerance.
    expect(Math.abs(gelu(1) - 0.8411919906082768)).toBeGreaterThan(1e-4);
  });

  it('softmax is shift-invariant and sums to one', () => {
    const p = softmax(Float64Array.from([1, 2, 3]));
    expect(Array.from(p)).toEqual([
      expect.closeTo(0.09003057317038046, 14),
      expect.closeTo(0.24472847105479764, 14),
      expect.closeTo(0.6652409557748219, 14),
    ]);
    const shifted = softmax(Float64Array.from([1001, 1002, 1003]));
    for (let i = 0; i < 3; i++) expect(shifted[i]).toBeCloseTo(p[i]!, 14);
  });

  it('linear uses PyTorch [out, in] weights', () => {
    const x = matrix(1, 2);
    x.data.set([1, 2]);
    // W = [[1, 0], [3, 4], [0, -1]] stored row by row; y = W x + b.
    const y = linear(x, Float64Array.from([1, 0, 3, 4, 0, -1]), Float64Array.from([0.5, 0, 1]), 3);
    expect(Array.from(y.data)).toEqual([1.5, 11, -1]);
  });

  it('layerNorm uses the biased variance and eps inside the root', () => {
    const x = matrix(1, 2);
    x.data.set([1, 3]);
    const y = layerNorm(x, Float64Array.from([2, 1]), Float64Array.from([0, 10]), 1);
    // mean 2, variance 1, 1/sqrt(1 + 1) scaling.
    expect(y.data[0]).toBeCloseTo(-2 / Math.SQRT2, 14);
    expect(y.data[1]).toBeCloseTo(10 + 1 / Math.SQRT2, 14);
  });
});
