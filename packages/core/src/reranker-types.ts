import type { BatchSizerStats } from './auto-batch-stats';
import type { RerankDocument } from './input';
import type { ModelKindName } from './kinds/kind';
import type { Dtype } from './model';
import type { ScoringUsage } from './usage';

export interface RerankOptions {
  /** Keep the best `topK` results. @default all documents */
  topK?: number;
  /** Include each input document in its result. @default false */
  returnDocuments?: boolean;
  /** Abort the request: a waiting request leaves the queue without running. */
  signal?: AbortSignal;
  /** Read and write the pair cache. @default true */
  useCache?: boolean;
  /**
   * LLM rerankers only: the task instruction of this call, part of the prompt and of every pair cache
   * key: not blank, at most `MAX_INSTRUCTION_BYTES` (4096) UTF-8 bytes. A cross-encoder refuses it with
   * INVALID_INPUT rather than ignore it (see `validateInstruction`).
   * @default the reranker's `instruction` option, else the template's default instruction
   */
  instruction?: string;
}

export interface RerankResult<D = RerankDocument> {
  /** Position of the document in the input. */
  index: number;
  /** Raw logit (or positive-minus-negative logit for two-label models). */
  score: number;
  /** Probability of relevance in [0, 1]. */
  relevanceScore: number;
  /** The input document, when `returnDocuments` is set. */
  document?: D;
}

export interface DetailedRerank<D = RerankDocument> {
  results: RerankResult<D>[];
  usage: ScoringUsage;
  /** Time waiting for a slot and computing, in ms (0 for an empty list). */
  timings: { queueMs: number; inferenceMs: number };
}

/** A request slot held by `UnifiedReRanker.withSlot`, valid until its task settles. */
export interface RerankSlot {
  /** Milliseconds the request waited for this slot (0 when one was free). */
  readonly waitedMs: number;
  /**
   * As `UnifiedReRanker.rerankDetailed`, in this slot (no second turn in the queue); `timings.queueMs`
   * is the slot's wait.
   */
  rerankDetailed<D extends RerankDocument>(
    query: string,
    documents: readonly D[],
    options?: RerankOptions,
  ): Promise<DetailedRerank<D>>;
}

export interface RerankerInfo {
  backend: string;
  device: string;
  model: string;
  /** What kind of reranker the model is (from its config.json). */
  kind: ModelKindName;
  /** Decoder kinds: the prompt template's name, e.g. `qwen3-reranker`. */
  template?: string;
  /** Decoder kinds: the instruction used when a call gives none. */
  defaultInstruction?: string;
  source: string;
  revision: string;
  /** What was loaded, as content (see `ModelFiles.fingerprint`); part of every pair cache key. */
  fingerprint: string;
  /** The hub commit of the downloaded files, when known. */
  commit?: string;
  dtype: Dtype;
  maxLength: number;
  maxQueryTokens: number;
  /** Special tokens the model's template adds to a pair (BERT 3, XLM-R 4). */
  pairSpecialTokens: number;
  truncation: string;
  numLabels: number;
  cacheEnabled: boolean;
  cacheSize: number | undefined;
  /** Backends that failed to load before the one that runs, with their reasons. */
  backendFallbacks: { candidate: string; message: string }[];
  backendDetails: Record<string, unknown>;
  /** The batch row limit in use (with `batchSize: 'auto'`, the one it chose last). */
  batchSize: number;
  /** Whether `batchSize` is chosen by measurement (`batchSize: 'auto'`). */
  batchSizeAuto: boolean;
  /** With `batchSize: 'auto'`: its counters (batches by size, trials and their share, warm-up timing). */
  batchSizeAutoStats?: BatchSizerStats;
}
