import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Dtype } from '@reranker/core';
import type { PresetName } from '@reranker/testkit';
import { engineModelDir } from './engine-model';
import { bm25Index, passageText } from './eval-bm25';
import { loadBeir } from './eval-dataset';
import {
  finiteMean,
  type Judgements,
  kendallTauB,
  ndcgAtK,
  recallAtK,
  reciprocalRankAtK,
  topKOverlap,
} from './eval-metrics';
import { type Candidates, type EvalBackend, type EvalConfig, rerankAll } from './eval-rerank';
import { type MachineInfo, machineInfo } from './machine';
import { type OpenedModel, openModel, privateCopy } from './model-open';
import { createProgress } from './progress';

export interface EvalOptions {
  /** A BEIR-format folder: corpus.jsonl, queries.jsonl, qrels/<split>.tsv. */
  data: string;
  /** @default 'test' */
  split: string;
  /** A synthesized testkit preset (random weights); `model` instead for a real one. */
  preset?: PresetName;
  /** A hub id or model folder. */
  model?: string;
  /** @default 'fp32' */
  dtype: Dtype;
  /** @default 'cpu' */
  backend: EvalBackend;
  /** A second configuration, the first with this dtype or backend: its quality and the agreement. */
  compare?: Dtype | EvalBackend;
  /** BM25 hits the model reranks per query (N). @default 100 */
  candidates: number;
  /** The k of Recall@k. @default [10, 50, 100] */
  recallAt: number[];
  /** Rows per inference batch. @default 32 */
  batchSize: number;
  /** Only the first n judged queries. */
  maxQueries?: number;
}

/** Mean over the evaluated queries. */
export interface RunMetrics {
  ndcgAt10: number;
  mrrAt10: number;
  /** Recall@k by k. */
  recall: Record<string, number>;
}

export interface EvalRun {
  /** `BM25` or `BM25 top N + rerank (<config>)`. */
  name: string;
  config?: EvalConfig;
  metrics: RunMetrics;
}

export interface EvalAgreement {
  between: [string, string];
  /** Mean over queries of Kendall's tau-b of the two score lists; `queries` had it defined. */
  kendallTauB: { mean: number; queries: number };
  /** Mean over queries of |top-10 ∩ top-10| / 10. */
  top10Overlap: number;
}

export interface EvalQueryDetail {
  id: string;
  relevant: number;
  /** Top 10 of BM25, then of each configuration. */
  top10: string[][];
  /** nDCG@10 of BM25, then of each configuration. */
  ndcgAt10: number[];
  kendallTauB?: number;
  top10Overlap?: number;
}

export interface EvalResult {
  benchmark: 'eval';
  startedAt: string;
  commandLine?: string;
  machine: MachineInfo;
  options: EvalOptions;
  dataset: {
    path: string;
    split: string;
    passages: number;
    queries: number;
    skippedQueries: number;
    unknownPassages: number;
  };
  model: Omit<OpenedModel, 'files'>;
  runs: EvalRun[];
  agreement?: EvalAgreement;
  queries: EvalQueryDetail[];
  durationSeconds: number;
}

const DTYPE_NAMES: readonly string[] = ['fp32', 'fp16', 'q8'];

/** The configurations to run: the main one, and with `compare` the same with one setting changed. */
export function evalConfigs(o: Pick<EvalOptions, 'dtype' | 'backend' | 'compare'>): EvalConfig[] {
  const main: EvalConfig = { label: `${o.backend} ${o.dtype}`, backend: o.backend, dtype: o.dtype };
  if (o.compare === undefined) return [main];
  const other = DTYPE_NAMES.includes(o.compare)
    ? { backend: o.backend, dtype: o.compare as Dtype }
    : { backend: o.compare as EvalBackend, dtype: o.dtype };
  const label = `${other.backend} ${other.dtype}`;
  // The same configuration twice is a check of determinism: it must agree with itself completely.
  return [main, { ...other, label: label === main.label ? `${label} (again)` : label }];
}

function runMetrics(rankings: readonly string[][], judgements: readonly Judgements[], ks: number[]) {
  const mean = (f: (ranking: string[], j: Judgements) => number) =>
    rankings.reduce((sum, r, i) => sum + f(r, judgements[i]!), 0) / rankings.length;
  return {
    ndcgAt10: mean((r, j) => ndcgAtK(r, j, 10)),
    mrrAt10: mean((r, j) => reciprocalRankAtK(r, j, 10)),
    recall: Object.fromEntries(ks.map((k) => [String(k), mean((r, j) => recallAtK(r, j, k))])),
  };
}

/** BM25, then BM25 top N reranked by each configuration, on one BEIR split. */
export async function runEval(o: EvalOptions, log: (line: string) => void): Promise<EvalResult> {
  if (o.model !== undefined) return evaluate(o, { model: o.model }, log);
  log(`preset ${o.preset}: synthesized, RANDOM weights: the figures mean nothing`);
  const dir = await privateCopy(await engineModelDir(o.preset!), 'eval');
  try {
    return await evaluate(o, { preset: o.preset!, dir }, log);
  } finally {
    await rm(dirname(dir), { recursive: true, force: true });
  }
}

async function evaluate(
  o: EvalOptions,
  source: Parameters<typeof openModel>[0],
  log: (line: string) => void,
): Promise<EvalResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const path = resolve(o.data);
  const dataset = await loadBeir(path, o.split);
  const queries = dataset.queries.slice(0, o.maxQueries);
  log(`${path}: ${dataset.corpus.length} passages, ${queries.length} judged queries (${o.split})`);
  const configs = evalConfigs(o);
  const models = new Map<Dtype, OpenedModel>();
  for (const dtype of new Set(configs.map((c) => c.dtype))) models.set(dtype, await openModel(source, dtype));

  const search = bm25Index(dataset.corpus);
  const passages = new Map(dataset.corpus.map((p) => [p._id, p]));
  const depth = Math.max(o.candidates, 10, ...o.recallAt);
  const bm25 = queries.map((q) => search(q.text, depth).map((hit) => hit.id));
  const candidates: Candidates[] = bm25.map((ids) => {
    const top = ids.slice(0, o.candidates);
    return { ids: top, texts: top.map((id) => passageText(passages.get(id)!)) };
  });

  const progress = createProgress(queries.length * configs.length, undefined, 'queries');
  const reranked = [];
  try {
    for (const config of configs) {
      const work = queries.map((q, i) => ({ text: q.text, candidates: candidates[i]! }));
      reranked.push(await rerankAll(models.get(config.dtype)!, config, work, o.batchSize, progress));
      progress.phaseDone(config.label, `${queries.length} queries reranked`);
    }
  } finally {
    progress.stop();
  }

  const judgements = queries.map((q) => q.judgements);
  const rankings = [bm25, ...reranked.map((run) => run.map((r) => r.ranking))];
  const runs: EvalRun[] = rankings.map((r, i) => ({
    name: i === 0 ? 'BM25' : `BM25 top ${o.candidates} + rerank (${configs[i - 1]!.label})`,
    ...(i > 0 && { config: configs[i - 1] }),
    metrics: runMetrics(r, judgements, o.recallAt),
  }));
  const [a, b] = reranked;
  const taus = b ? queries.map((_, i) => kendallTauB(a![i]!.scores, b[i]!.scores)) : [];
  const overlaps = b ? queries.map((_, i) => topKOverlap(a![i]!.ranking, b[i]!.ranking, 10)) : [];
  const tau = finiteMean(taus);
  const first = models.get(configs[0]!.dtype)!;
  return {
    benchmark: 'eval',
    startedAt,
    machine: machineInfo(),
    options: o,
    dataset: {
      path,
      split: o.split,
      passages: dataset.corpus.length,
      queries: queries.length,
      skippedQueries: dataset.skippedQueries,
      unknownPassages: dataset.unknownPassages,
    },
    model: { name: first.name, synthesized: first.synthesized, location: first.location },
    runs,
    ...(b && {
      agreement: {
        between: [configs[0]!.label, configs[1]!.label],
        kendallTauB: { mean: tau.mean, queries: tau.count },
        top10Overlap: finiteMean(overlaps).mean,
      },
    }),
    queries: queries.map((q, i) => ({
      id: q._id,
      relevant: [...q.judgements.values()].filter((g) => g > 0).length,
      top10: rankings.map((r) => r[i]!.slice(0, 10)),
      ndcgAt10: rankings.map((r) => ndcgAtK(r[i]!, q.judgements, 10)),
      ...(b && { kendallTauB: taus[i], top10Overlap: overlaps[i] }),
    })),
    durationSeconds: (performance.now() - started) / 1000,
  };
}
