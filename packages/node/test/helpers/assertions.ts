import type { UnifiedReRanker } from '@reranker/core';
import { maxAbsDiff, referencePairScores } from '@reranker/testkit';
import { expect } from 'vitest';

/** The error a promise rejects with (failing the test if it resolves), for asserting on code and message. */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; details?: unknown }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected a rejection');
  return error;
}

/** Kendall's tau-a of two score lists: (concordant - discordant) / all pairs; ties count as neither. */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      sum += Math.sign(a[i]! - a[j]!) * Math.sign(b[i]! - b[j]!);
      pairs++;
    }
  }
  return pairs === 0 ? 1 : sum / pairs;
}

/**
 * Asserts `reranker` scores `docs` against `query` within 1e-5 of the testkit's float64 reference
 * over the model folder `dir`, the same in one mixed batch as one by one; returns the batch's scores.
 */
export async function expectReferenceScores(
  reranker: UnifiedReRanker,
  dir: string,
  query: string,
  docs: readonly string[],
): Promise<number[]> {
  const expected = await referencePairScores(dir, query, docs);
  expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(1e-3); // able to fail
  const batched = await reranker.score(docs.map((d) => [query, d] as const));
  expect(maxAbsDiff(batched, expected)).toBeLessThan(1e-5);
  const alone: number[] = [];
  for (const doc of docs) alone.push(...(await reranker.score([[query, doc] as const])));
  expect(maxAbsDiff(alone, batched)).toBeLessThan(1e-5);
  return batched;
}
