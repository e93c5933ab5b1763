import type { BackendCandidate } from '@reranker/core';
import {
  type PromptScoresInput,
  referenceDecoderBackend,
  referencePromptScores,
  synthesizedQwen3Dir,
  type YesNoScore,
} from '@reranker/testkit';
import { expect } from 'vitest';
import { type Json, type StartOptions, startServer, type TestServer } from './helpers';

// LLM rerankers through the server: the tiny synthesized Qwen3-Reranker (real architecture, random
// weights) run by the testkit's float64 reference decoder backend, since the onnxruntime backends do
// not run decoder graphs yet. Expected scores come from the testkit's oracle (the model card's prompt
// tokenized by transformers.js, scored by the float64 reference), never from the engine's own encoder.

export const LLM_QUERY = 'how do solar panels make electricity';
export const LLM_DOCS = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'The bakery on the corner sells fresh bread every morning.',
  'Solar panels feed direct current to an inverter, 🙂 which makes alternating current.',
  '北京是中国的首都。',
];
export const INSTRUCTION = 'Judge whether the passage explains a physical process';

export const tinyQwen3 = () => synthesizedQwen3Dir('tiny-qwen3');

/** The reference decoder backend. */
const decoderBackend = () => referenceDecoderBackend() as unknown as BackendCandidate;

/** The reference decoder backend as the only candidate. */
export const decoderBackends = () => [decoderBackend()];

/** A test server over tiny-qwen3 on the reference decoder backend, with the server's probe. */
export async function startLlmServer(options: StartOptions = {}): Promise<TestServer> {
  return startServer({
    model: await tinyQwen3(),
    probed: decoderBackend(),
    ...options,
    // Mixed document lengths share a batch, as they would in production with long documents.
    engine: { maxPaddingRatio: 10, ...options.engine },
  });
}

/** The oracle's scores of LLM_DOCS (or `documents`) for the query, in input order. */
export async function oracle(input: Partial<PromptScoresInput> = {}): Promise<YesNoScore[]> {
  return referencePromptScores(await tinyQwen3(), {
    query: LLM_QUERY,
    documents: LLM_DOCS,
    ...input,
  });
}

/** Indices best first by the expected log-odds (ties by position). */
export function oracleOrder(expected: readonly YesNoScore[]): number[] {
  return expected
    .map((s, index) => ({ score: s.score, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((r) => r.index);
}

/**
 * Results (best first, `index` into the documents) hold the oracle's scores and order: relevance in
 * [0, 1] within 1e-6 and, when given, the log-odds `score` within 1e-5 (fp32 against float64).
 */
export function expectOracle(
  results: readonly { index: number; relevance: number; score?: number }[],
  expected: readonly YesNoScore[],
): void {
  expect(results.map((r) => r.index)).toEqual(oracleOrder(expected));
  for (const r of results) {
    expect(Math.abs(r.relevance - expected[r.index]!.relevanceScore)).toBeLessThan(1e-6);
    if (r.score !== undefined) expect(Math.abs(r.score - expected[r.index]!.score)).toBeLessThan(1e-5);
  }
}

/** A native /rerank response's results as expectOracle takes them: relevance and the log-odds score. */
export const nativeResults = (body: Json): { index: number; relevance: number; score: number }[] =>
  body.results.map((r: Json) => ({ index: r.index, relevance: r.relevance_score, score: r.score }));

/** The largest gap between two score lists (to show an instruction changes the scores at all). */
export function largestGap(a: readonly YesNoScore[], b: readonly YesNoScore[]): number {
  return Math.max(...a.map((s, i) => Math.abs(s.score - b[i]!.score)));
}
