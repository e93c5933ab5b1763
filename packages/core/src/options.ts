import type { BackendCandidate } from './backend';
import type { CacheDriver } from './cache/contract';
import type { ComputeBudget } from './compute-budget';
import type { RequestSlots } from './concurrency';
import { RerankerError } from './errors';
import type { YesNoRerankerTemplate } from './kinds/yes-no-template';
import type { Logger } from './logger';
import type { Dtype, ModelFiles } from './model';
import type { TruncationStrategy } from './tokenize/pair-encoder';

export interface UnifiedReRankerOptions {
  /** The model folder (Node resolves hub ids and paths to this; see `@reranker/node`). */
  model: ModelFiles;
  /** Backends to try in order; the first that loads wins. */
  backends: readonly BackendCandidate[];
  /** Model precision, selecting the ONNX file. @default 'fp32' */
  dtype?: Dtype;
  /**
   * Longest pair in tokens, special tokens included (for LLM rerankers: the whole prompt); clamped to
   * the model's limit. @default 512 (8192 for LLM rerankers)
   */
  maxLength?: number;
  /**
   * A longer query is cut to this many tokens so the document keeps room (`only_second`; LLM
   * rerankers always keep the prompt's fixed text and cut the document's tail first).
   * @default 64 (a quarter of maxLength for LLM rerankers)
   */
  maxQueryTokens?: number;
  /** `only_second` keeps the query and cuts the document; `longest_first` follows Hugging Face. @default 'only_second' */
  truncation?: TruncationStrategy;
  /**
   * Most pairs in one backend batch, or `'auto'`: `warmup()` times each of `batchSizeCandidates` on
   * pairs of half the maximum length (at most maxBatchTokens ÷ the largest candidate) and takes the fastest per token; under load the engine keeps
   * measuring full batches and, when their throughput drifts (or after 2000 of them), tries a
   * neighbouring candidate on at most 2 % of batches, adopting it when it is 5 % faster (logged at
   * info level). `info().batchSize` is the size in use, `info().batchSizeAutoStats` what it did. @default 16
   */
  batchSize?: number | 'auto';
  /** The sizes `batchSize: 'auto'` chooses from; the smallest and largest are its limits. @default [4, 8, 16, 32] */
  batchSizeCandidates?: readonly number[];
  /**
   * Most padded tokens (rows × width) in one batch. Batches wider than 512 tokens are also held to
   * rows × width² ≤ maxBatchTokens × 512, as attention memory grows with the square of the width (a
   * pair longer than that runs alone). @default 8192
   */
  maxBatchTokens?: number;
  /**
   * Most padding a batch may carry, as a share of its real tokens (0.2 = at most 20 % extra): a pair
   * that would pad the batch beyond it goes to the next batch. Mixed-length documents then run in
   * batches of similar length instead of being padded to the longest. @default 0.2
   */
  maxPaddingRatio?: number;
  /**
   * While one worker is busy, how long a free worker waits for pairs from more requests to fill its
   * batch; 0 sends what is queued at once. @default 5
   */
  microBatchWindowMs?: number;
  /** Requests computed at once. @default 4 */
  maxParallel?: number;
  /** Requests waiting for a slot; more are rejected with QUEUE_FULL. @default 10 */
  maxQueue?: number;
  /** Longest wait for a slot before QUEUE_TIMEOUT. @default 30000 */
  queueTimeoutMs?: number;
  /**
   * Where requests take their slots instead of this reranker's own `maxParallel` / `maxQueue` /
   * `queueTimeoutMs` (which are then unused): one share of a `FairConcurrency` shared with other
   * rerankers, so that the models of one process share its request slots fairly. Give each reranker
   * its own share: `dispose()` waits for the share's requests.
   * @default a `ConcurrencyController` of this reranker's own
   */
  requestSlots?: RequestSlots;
  /** Longest inference time of one request before TIMEOUT. @default 120000 */
  workerTimeoutMs?: number;
  /** Retries of a batch after a transient backend failure. @default 3 */
  maxRetries?: number;
  /** First retry delay, doubled per attempt. @default 100 */
  retryBackoffMs?: number;
  /** The pair cache: a driver, or `false` to disable. @default a memory cache (createMemoryCache) */
  cache?: CacheDriver | false;
  /** Lifetime of cached scores. @default 300000 */
  cacheTtlMs?: number;
  /** Entries kept by the default memory cache. @default 10000 */
  cacheMaxEntries?: number;
  /** How often the default memory cache purges stale entries (0 disables). @default 3600000 */
  clearCacheIntervalMs?: number;
  /** Requests kept for metric averages and percentiles. @default 1000 */
  metricsWindow?: number;
  /** Where warnings go. @default warnings and errors to the console */
  logger?: Logger;
  /**
   * LLM rerankers: the instruction of calls that give none. A cross-encoder refuses it
   * (INVALID_CONFIG). @default the template's `defaultInstruction`
   */
  instruction?: string;
  /**
   * LLM rerankers: how pairs are prompted and read (see `YesNoRerankerTemplate`); for yes/no rerankers
   * of a supported architecture other than Qwen3-Reranker. @default QWEN3_RERANKER_TEMPLATE for Qwen3
   * architectures (Qwen2 ones need one)
   */
  template?: YesNoRerankerTemplate;
  /**
   * A compute budget shared with other rerankers in this process: each batch first takes one of its
   * lanes, fairly across the rerankers (see `ComputeBudget`), and backends size their threads from it
   * (`BackendLoadOptions.computeBudget`). Use one budget for every model a process serves, so that
   * their batches together run no more threads than there are cores.
   * @default none: batches are bounded by this reranker's backend alone (`backend.concurrency`)
   */
  computeBudget?: ComputeBudget;
  /** This reranker's share of `computeBudget` lanes relative to the other rerankers'. @default 1 */
  computeWeight?: number;
}

/**
 * The defaults of `UnifiedReRankerOptions`, the one place they are written: `@reranker/node`'s
 * environment variables default to these too.
 */
export const DEFAULTS = Object.freeze({
  dtype: 'fp32',
  maxLength: 512,
  maxQueryTokens: 64,
  truncation: 'only_second',
  batchSize: 16,
  maxBatchTokens: 8192,
  maxPaddingRatio: 0.2,
  microBatchWindowMs: 5,
  maxParallel: 4,
  maxQueue: 10,
  queueTimeoutMs: 30_000,
  workerTimeoutMs: 120_000,
  maxRetries: 3,
  retryBackoffMs: 100,
  cacheTtlMs: 300_000,
  cacheMaxEntries: 10_000,
  clearCacheIntervalMs: 3_600_000,
} as const);

/** Checks the numeric options the engine itself uses (the controller and cache check theirs). */
export function validateOptions(options: UnifiedReRankerOptions): void {
  const positive = ['maxLength', 'maxQueryTokens', 'maxBatchTokens', 'workerTimeoutMs'] as const;
  const nonNegative = [
    'maxRetries',
    'retryBackoffMs',
    'cacheTtlMs',
    'microBatchWindowMs',
    'maxPaddingRatio',
  ] as const;
  for (const key of positive) {
    const value = options[key];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      throw new RerankerError('INVALID_CONFIG', `${key} must be a positive integer, got ${String(value)}.`, {
        details: { option: key },
      });
    }
  }
  const { batchSize, batchSizeCandidates } = options;
  if (batchSize !== undefined && batchSize !== 'auto' && !(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `batchSize must be a positive integer or 'auto', got ${String(batchSize)}.`,
      { details: { option: 'batchSize' } },
    );
  }
  if (
    batchSizeCandidates !== undefined &&
    (batchSizeCandidates.length === 0 || batchSizeCandidates.some((c) => !Number.isInteger(c) || c <= 0))
  ) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `batchSizeCandidates must be positive integers, got ${JSON.stringify(batchSizeCandidates)}.`,
      { details: { option: 'batchSizeCandidates' } },
    );
  }
  for (const key of nonNegative) {
    const value = options[key];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      throw new RerankerError('INVALID_CONFIG', `${key} must be a number ≥ 0, got ${String(value)}.`, {
        details: { option: key },
      });
    }
  }
  if (options.computeBudget !== undefined && typeof options.computeBudget?.register !== 'function') {
    throw new RerankerError(
      'INVALID_CONFIG',
      'computeBudget must be a ComputeBudget (new ComputeBudget({ lanes })).',
      {
        details: { option: 'computeBudget' },
      },
    );
  }
  if (options.requestSlots !== undefined && typeof options.requestSlots?.run !== 'function') {
    throw new RerankerError(
      'INVALID_CONFIG',
      'requestSlots must be request slots (new FairConcurrency(limits).share(name)).',
      { details: { option: 'requestSlots' } },
    );
  }
  if (options.computeWeight !== undefined && options.computeBudget === undefined) {
    throw new RerankerError(
      'INVALID_CONFIG',
      'computeWeight is a share of computeBudget: give computeBudget too.',
      {
        details: { option: 'computeWeight' },
      },
    );
  }
  if (!options.model || typeof options.model.read !== 'function') {
    throw new RerankerError(
      'INVALID_CONFIG',
      'model must be a ModelFiles object (see @reranker/node createReranker).',
    );
  }
}
