import {
  type BackendCandidate,
  type CacheDriver,
  type ComputeBudget,
  consoleLogger,
  type Logger,
  type RequestSlots,
  UnifiedReRanker,
  type YesNoRerankerTemplate,
} from '@reranker/core';
import { loadConfig, type RerankerConfig } from './config';
import { explainLlmOption, readTemplateFile } from './config/llm-options';
import type { ProgressMode } from './model/progress';
import { resolveModel } from './model/resolve';
import { defaultBackends } from './python/selection';
import { distributedCache } from './redis/distributed';

export interface CreateRerankerOptions extends Partial<RerankerConfig> {
  /** Environment the configuration is read from; explicit options win over it. @default process.env */
  env?: Record<string, string | undefined>;
  /** Where warnings and download progress go. @default warnings to the console */
  logger?: Logger;
  /** Backends to try in order. @default `defaultBackends(config, logger)`: the MLX worker when USE_MLX allows and MLX is installed, then onnxruntime-node (or the NumPy worker with `backend: 'numpy'`) */
  backends?: BackendCandidate[];
  /**
   * Pair cache driver, or false to disable.
   * @default a memory cache when `cacheEnabled`; memory in front of Redis when `distributed` too
   */
  cache?: CacheDriver | false;
  /** Download progress display. @default 'auto' (a bar on a terminal, log lines otherwise) */
  progress?: ProgressMode;
  /**
   * A compute budget shared with the other rerankers of this process (`createComputeBudget()`): the
   * onnxruntime backend sizes its workers and threads from it instead of from every core, and each
   * batch waits for one of its lanes, fairly between the models. Give every model of a multi-model
   * process the same budget. Explicit `workers`/`threadsPerWorker` still win.
   * @default none: this reranker sizes itself to the whole machine, as when it is the only one
   */
  computeBudget?: ComputeBudget;
  /** This reranker's share of `computeBudget` lanes relative to the others'. @default 1 */
  computeWeight?: number;
  /**
   * Where requests take their slots instead of `maxParallel` / `maxQueue` / `queueTimeoutMs`: one
   * share of a `FairConcurrency` shared with the other rerankers of this process (one share each).
   * @default a controller of this reranker's own
   */
  requestSlots?: RequestSlots;
  /**
   * LLM rerankers: the prompt template itself (wins over `templateFile` / `RERANKER_TEMPLATE_FILE`).
   * @default Qwen3-Reranker's for Qwen3 models
   */
  template?: YesNoRerankerTemplate;
}

/**
 * A ready reranker for Node: configuration from the environment (the original service's variables,
 * see `CONFIG_VARIABLES`), the model from a folder or the Hugging Face hub (downloaded once into the
 * cache dir), onnxruntime-node in worker threads.
 *
 * @example
 * const reranker = await createReranker({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' });
 * const results = await reranker.rerank('what is a reranker', ['A reranker orders passages.', 'Bananas.']);
 */
export async function createReranker(options: CreateRerankerOptions = {}): Promise<UnifiedReRanker> {
  const {
    env,
    logger: givenLogger,
    backends,
    cache,
    progress,
    computeBudget,
    computeWeight,
    requestSlots,
    template: givenTemplate,
    ...overrides
  } = options;
  const config: RerankerConfig = { ...loadConfig(env ?? process.env), ...definedOnly(overrides) };
  const template =
    givenTemplate ??
    (config.templateFile === undefined ? undefined : await readTemplateFile(config.templateFile));
  // Which LLM options the environment set, so a cross-encoder's refusal names the variable.
  const fromEnv = {
    instruction: overrides.instruction === undefined && config.instruction !== undefined,
    template: givenTemplate === undefined && overrides.templateFile === undefined && template !== undefined,
  };
  const logger = givenLogger ?? consoleLogger;
  const candidates = backends ?? (await defaultBackends(config, logger));
  const model = await resolveModel({
    model: config.model,
    revision: config.revision,
    localModelPath: config.localModelPath,
    cacheDir: config.cacheDir,
    dtype: config.dtype,
    hubEndpoint: config.hubEndpoint,
    hubToken: config.hubToken,
    offline: config.offline,
    logger,
    progress,
    // The Python/MLX backend reads the PyTorch weights, which hub repos ship as model.safetensors.
    extraFiles: candidates.some(isPython) ? ['model.safetensors'] : [],
    // ...and needs no ONNX graph: none is built from the safetensors when it is the only backend.
    buildGraph: !candidates.every(isPython),
    preferBuiltGraph: config.graph === 'build',
  });
  // Only a cache this function builds is its to wire and to dispose if the engine fails to start.
  const distributed =
    config.distributed && config.cacheEnabled && cache === undefined
      ? distributedCache(config, logger)
      : undefined;
  const reranker = await UnifiedReRanker.create({
    model,
    backends: candidates,
    dtype: config.dtype,
    maxLength: config.maxLength,
    maxQueryTokens: config.maxQueryTokens,
    truncation: config.truncation,
    batchSize: config.batchSize,
    maxBatchTokens: config.maxBatchTokens,
    maxPaddingRatio: config.maxPaddingRatio,
    microBatchWindowMs: config.microBatchEnabled ? config.microBatchWindowMs : 0,
    maxParallel: config.maxParallel,
    maxQueue: config.maxQueue,
    queueTimeoutMs: config.queueTimeoutMs,
    workerTimeoutMs: config.workerTimeoutMs,
    maxRetries: config.maxRetries,
    cache: config.cacheEnabled ? (distributed?.cache ?? cache) : false,
    cacheTtlMs: config.cacheTtlMs,
    cacheMaxEntries: config.cacheMaxEntries,
    clearCacheIntervalMs: config.clearCacheIntervalMs,
    logger,
    computeBudget,
    computeWeight,
    requestSlots,
    instruction: config.instruction,
    template,
  }).catch(async (error: unknown) => {
    await distributed?.cache.dispose();
    throw explainLlmOption(error, fromEnv);
  });
  distributed?.register(reranker);
  return reranker;
}

const isPython = (candidate: BackendCandidate) => candidate.name.startsWith('python:');

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
