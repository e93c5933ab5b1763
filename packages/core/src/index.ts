export {
  type Backend,
  type BackendCandidate,
  type BackendFailure,
  type BackendLoadOptions,
  checkEncodedBatch,
  type EncodedBatch,
  type ResolvedBackend,
  resolveBackend,
} from './backend';
export { type BatchLimits, type BatchPlan, planBatches } from './batching';
export type { CacheDriver, CachedLogits } from './cache/contract';
export { type PairKeyContext, pairKeys, pairNamespace } from './cache/keys';
export { createMemoryCache, type MemoryCacheOptions } from './cache/memory';
export { ConcurrencyController, type ConcurrencyOptions, type ControllerStats } from './concurrency';
export {
  ERROR_CODES,
  errorMessage,
  isRerankerError,
  RerankerError,
  type RerankerErrorCode,
  type RerankerErrorOptions,
} from './errors';
export { checkClassifierGraph, type GraphSignature } from './graph-check';
export type { ScoringUsage } from './inference';
export type { RerankDocument, ScorePair } from './input';
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
export type { UnifiedReRankerOptions } from './options';
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
  type EncodedPair,
  type LeadingTokens,
  PairEncoder,
  type PairEncoderOptions,
  type PrefixSafety,
  type PreparedQuery,
  type TruncationStrategy,
} from './tokenize/pair-encoder';
export { runSliced, type SliceClock, type SlicedOptions } from './tokenize/sliced-encode';
