import { AUTO_BATCH_CANDIDATES, BatchSizer } from './auto-batch';
import { type Backend, type BackendFailure, resolveBackend } from './backend';
import { createMemoryCache } from './cache/memory';
import { createPairCache, type PairCache } from './cache/pair-cache';
import type { ComputeBudgetUser } from './compute-budget';
import { ConcurrencyController, type RequestSlots } from './concurrency';
import { PairScorer } from './inference';
import type { KindEncoder, ModelKind } from './kinds/kind';
import { consoleLogger } from './logger';
import { MetricsRecorder } from './metrics';
import { effectiveMaxLength, loadModelAssets } from './model-assets';
import { DEFAULTS, type UnifiedReRankerOptions, validateOptions } from './options';
import { BatchScheduler } from './scheduler';

/** Everything a `UnifiedReRanker` is made of. */
export interface RerankerParts {
  options: UnifiedReRankerOptions & typeof DEFAULTS;
  backend: Backend;
  failures: BackendFailure[];
  encoder: KindEncoder;
  kind: ModelKind;
  /** Facts of the loaded model for `info()`. */
  loaded: { numLabels: number; fingerprint: string };
  cache: PairCache | undefined;
  controller: RequestSlots;
  metrics: MetricsRecorder;
  scorer: PairScorer;
  scheduler: BatchScheduler;
  sizer: BatchSizer | undefined;
  /** This reranker's place in `options.computeBudget`, when there is one. */
  budget: ComputeBudgetUser | undefined;
}

/**
 * Loads the model's config and tokenizer, detects its kind, builds the kind's encoder, loads the first
 * backend that works and wires the cache, scheduler and scorer (`UnifiedReRanker.create`).
 */
export async function assembleReranker(input: UnifiedReRankerOptions): Promise<RerankerParts> {
  validateOptions(input);
  const options = { ...DEFAULTS, ...stripUndefined(input) } as UnifiedReRankerOptions & typeof DEFAULTS;
  const logger = options.logger ?? consoleLogger;
  const controller = input.requestSlots ?? new ConcurrencyController(options);
  const metrics = new MetricsRecorder({ windowSize: options.metricsWindow });
  const assets = await loadModelAssets(options.model, {
    template: input.template,
    instruction: input.instruction,
  });
  const { kind } = assets;
  const requested = input.maxLength ?? kind.defaultMaxLength ?? DEFAULTS.maxLength;
  const maxLength = effectiveMaxLength(requested, assets, logger);
  const encoder = kind.encoder(
    {
      config: assets.config,
      tokenizerJson: assets.tokenizerJson as Record<string, unknown>,
      tokenizerConfig: assets.tokenizerConfig,
    },
    {
      maxLength,
      // Undefined lets the kind choose (cross-encoders 64, decoders a quarter of maxLength).
      maxQueryTokens: input.maxQueryTokens,
      truncation: input.truncation ?? DEFAULTS.truncation,
      fingerprint: assets.fingerprint,
    },
  );
  const { backend, failures } = await resolveBackend(options.backends, {
    model: options.model,
    config: assets.config,
    kind: kind.backendInfo(encoder),
    dtype: options.dtype,
    logger,
    computeBudget: options.computeBudget,
  });
  // Registered once the backend loaded: a model that failed to load never holds a place in the budget.
  const budget = options.computeBudget?.register(options.model.id, { weight: options.computeWeight });
  const cache =
    options.cache === false
      ? undefined
      : createPairCache(
          options.cache ??
            createMemoryCache({
              maxEntries: options.cacheMaxEntries,
              ttlMs: options.cacheTtlMs,
              purgeIntervalMs: options.clearCacheIntervalMs,
            }),
          { logger, ttlMs: options.cacheTtlMs },
        );
  const auto = input.batchSize === 'auto';
  const sizer = auto
    ? new BatchSizer({
        candidates: options.batchSizeCandidates ?? AUTO_BATCH_CANDIDATES,
        initial: DEFAULTS.batchSize,
        logger,
      })
    : undefined;
  const scheduler = new BatchScheduler({
    backend,
    numLabels: assets.numLabels,
    padTokenId: encoder.padTokenId,
    sizer,
    limits: {
      batchSize: auto ? DEFAULTS.batchSize : options.batchSize,
      maxBatchTokens: options.maxBatchTokens,
      maxPaddingRatio: options.maxPaddingRatio,
    },
    retry: { maxRetries: options.maxRetries, backoffMs: options.retryBackoffMs },
    logger,
    metrics,
    microBatchWindowMs: options.microBatchWindowMs,
    budget,
  });
  const scorer = new PairScorer({
    encoder,
    keyParts: (instruction) => kind.keyParts(instruction),
    scheduler,
    keyContext: {
      modelId: options.model.id,
      revision: options.model.revision,
      fingerprint: assets.fingerprint,
      dtype: options.dtype,
      maxLength,
      truncation: encoder.truncation,
      maxQueryTokens: encoder.maxQueryTokens,
    },
    cache,
    metrics,
  });
  return {
    options: { ...options, logger },
    backend,
    failures,
    encoder,
    kind,
    loaded: { numLabels: assets.numLabels, fingerprint: assets.fingerprint },
    cache,
    controller,
    metrics,
    scorer,
    scheduler,
    sizer,
    budget,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
