// Second stage of `eval`: one configuration (backend × dtype) reranks every query's BM25 candidates.
import type { Dtype } from '@reranker/core';
import type { OpenedModel } from './model-open';
import type { Progress } from './progress';
import { openBackend } from './table-backends';

/** The backends `eval` runs: onnxruntime-node on the CPU, or onnxruntime-web's wasm backend in Node. */
export const EVAL_BACKENDS = ['cpu', 'wasm'] as const;
export type EvalBackend = (typeof EVAL_BACKENDS)[number];

export interface EvalConfig {
  /** How the report names it, e.g. `cpu fp32`. */
  label: string;
  backend: EvalBackend;
  dtype: Dtype;
}

/** One query's BM25 candidates (the first `candidates` hits) and their texts. */
export interface Candidates {
  ids: string[];
  texts: string[];
}

/** A configuration's answer for one query: the candidates' scores (in candidate order) and the new order. */
export interface Reranked {
  scores: number[];
  ranking: string[];
}

/**
 * Scores every query's candidates with `config`, one request per query, pair cache off (a cached score
 * would hide a difference between two configurations). Equal scores keep the BM25 order, so the
 * ranking is deterministic.
 */
export async function rerankAll(
  model: OpenedModel,
  config: EvalConfig,
  queries: readonly { text: string; candidates: Candidates }[],
  batchSize: number,
  progress: Progress,
): Promise<Reranked[]> {
  progress.note(`${config.label}: loading`);
  const open = await openBackend(config.backend, model, config.dtype);
  try {
    const engine = await open.engine(batchSize);
    try {
      const out: Reranked[] = [];
      for (const { text, candidates } of queries) {
        const scores = new Array<number>(candidates.ids.length).fill(Number.NaN);
        if (candidates.texts.length > 0) {
          const results = await engine.rerank(text, candidates.texts, { useCache: false });
          for (const r of results) scores[r.index] = r.score;
        }
        const order = candidates.ids.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
        out.push({ scores, ranking: order.map((i) => candidates.ids[i]!) });
        progress.tick(config.label);
      }
      return out;
    } finally {
      await engine.dispose();
    }
  } finally {
    await open.close();
  }
}
