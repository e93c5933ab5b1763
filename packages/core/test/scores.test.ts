import { describe, expect, it } from 'vitest';
import { scoreFromLogits, sigmoid } from '../src/scores';

describe('scores', () => {
  it('one label: the raw logit and its float64 sigmoid', () => {
    expect(scoreFromLogits([2])).toEqual({ score: 2, relevanceScore: 1 / (1 + Math.exp(-2)) });
    expect(scoreFromLogits([-3.5]).relevanceScore).toBeCloseTo(0.029312230751356326, 15);
  });

  it('never a softmax over one logit (which would always be 1)', () => {
    expect(scoreFromLogits([-8]).relevanceScore).toBeLessThan(0.001);
  });

  it('two labels: positive minus negative, and the softmax probability of the positive label', () => {
    const { score, relevanceScore } = scoreFromLogits([0.5, 2]);
    expect(score).toBe(1.5);
    const softmax = Math.exp(2) / (Math.exp(0.5) + Math.exp(2));
    expect(relevanceScore).toBeCloseTo(softmax, 15);
  });

  it('sigmoid stays finite and exact in both tails', () => {
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
    expect(sigmoid(-40)).toBeCloseTo(4.248354255291589e-18, 30);
    expect(sigmoid(0)).toBe(0.5);
  });

  it('rejects models with more than two labels', () => {
    expect(() => scoreFromLogits([1, 2, 3])).toThrow(/3 output labels/);
  });
});
