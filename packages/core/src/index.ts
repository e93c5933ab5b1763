export { abortError, throwIfAborted } from './abort';
export {
  AdapterRanking,
  type AdapterRankingOptions,
  type Reranker,
  type RerankerSource,
} from './adapter-ranking';
export { AUTO_BATCH_CANDIDATES, type BatchSizerStats } from './auto-batch';
export {
  type Backend,
  type BackendCandidate,
  type BackendFailure,
  type BackendLoadOptions,
  checkEncodedBatch,
  checkLogits,
  type EncodedBatch,
  type ResolvedBackend,
  resolveBackend,
  sessionInputs,
} from './backend';
export {
  type BatchLimits,
  type BatchPlan,
  batchKey,
  buildBatch,
  planBatches,
  type TokenizedPair,
} from './batching';
export type { CacheClaims, CacheDriver, CachedLogits } from './cache/contract';
export { type PairKeyContext, pairKeys, pairNamespace } from './cache/keys';
export { createMemoryCache, type MemoryCacheOptions } from './cache/memory';
export {
  ComputeBudget,
  type ComputeBudgetOptions,
  type ComputeBudgetStats,
  type ComputeBudgetUser,
  type ComputeBudgetUserStats,
  type ComputeLease,
} from './compute-budget';
export {
  ConcurrencyController,
  type ConcurrencyOptions,
  type ControllerStats,
  type RequestSlots,
  type TaskContext,
} from './concurrency';
export {
  ERROR_CODES,
  errorMessage,
  isRerankerError,
  RerankerError,
  type RerankerErrorCode,
  type RerankerErrorOptions,
} from './errors';
export { type ConcurrencyShare, FairConcurrency, type ShareLimits } from './fair-concurrency';
export { checkClassifierGraph, type GraphSignature } from './graph-check';
export type { RerankDocument, ScorePair } from './input';
export { DECODER_MAX_LENGTH } from './kinds/decoder';
export {
  type DecoderGraphSignature,
  type DecoderLayout,
  decoderGraphLayout,
} from './kinds/decoder-graph';
export { DecoderRunner, type DecoderRunResult, type RunnerSession } from './kinds/decoder-runner';
export { type DetectKindOptions, detectModelKind } from './kinds/detect';
export { MAX_INSTRUCTION_BYTES, validateInstruction } from './kinds/instruction';
export type {
  BackendKindInfo,
  GraphContract,
  KindEncoder,
  KindEncoderOptions,
  ModelKind,
  ModelKindName,
} from './kinds/kind';
export {
  checkPrefixCacheOptions,
  type KvTensor,
  PREFIX_CACHE_DEFAULTS,
  type PrefixCacheOptions,
  type PrefixCacheStats,
  type PrefixKv,
  PrefixKvCache,
} from './kinds/prefix-kv-cache';
export { type JoinedPrefixBatch, joinPrefixRows } from './kinds/prefix-rows';
export { BOUNDARY_PROBE_DOCUMENTS, type DocumentBoundary } from './kinds/prompt-boundary';
export {
  type PreparedPrompt,
  PromptEncoder,
  type PromptEncoderOptions,
  type SharedPrefix,
} from './kinds/prompt-encoder';
export {
  QWEN3_RERANKER_TEMPLATE,
  validateTemplate,
  type YesNoRerankerTemplate,
} from './kinds/yes-no-template';
export { type Disposable, type LazyDisposable, lazyDisposable } from './lazy';
export { consoleLogger, type Logger, silentLogger } from './logger';
export { MetricsRecorder, type MetricsSnapshot } from './metrics';
export {
  DTYPES,
  type Dtype,
  labelCount,
  type ModelConfig,
  type ModelFiles,
  ONNX_FILE_BY_DTYPE,
} from './model';
export { DEFAULTS, type UnifiedReRankerOptions } from './options';
export { UnifiedReRanker } from './reranker';
export type {
  DetailedRerank,
  RerankerInfo,
  RerankOptions,
  RerankResult,
  RerankSlot,
} from './reranker-types';
export { type PairScore, scoreFromLogits, sigmoid } from './scores';
export {
  type ServerReranker,
  type ServerRerankerOptions,
  type ServerRerankOptions,
  serverReranker,
} from './server-client';
export {
  type EncodedPair,
  type LeadingTokens,
  PairEncoder,
  type PairEncoderOptions,
  type PrefixSafety,
  type PreparedQuery,
  type TruncationStrategy,
} from './tokenize/pair-encoder';
export { runSliced, type SliceClock, type SlicedOptions } from './tokenize/sliced-encode';
export { type KeptLengths, longestFirst, onlySecond } from './tokenize/truncation';
export type { ScoringUsage } from './usage';
