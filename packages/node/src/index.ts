export { type CreateComputeBudgetOptions, createComputeBudget } from './compute-budget';
export {
  CONFIG_VARIABLES,
  type ConfigIssue,
  type ConfigVariable,
  DEVICE_PREFERENCES,
  type DevicePreference,
  defaultCacheDir,
  ENGINE_CHOICES,
  type EngineChoice,
  loadConfig,
  type RerankerConfig,
  TRUNCATIONS,
  type Truncation,
} from './config';
export { readTemplateFile } from './config/llm-options';
export { type CreateRerankerOptions, createReranker } from './create-reranker';
export { hubCacheFolder } from './model/hub';
export { type LocalModelOptions, openLocalModel } from './model/local';
export type { ProgressMode } from './model/progress';
export { type ResolveModelOptions, resolveModel } from './model/resolve';
export { type GraphOptimizationLevel, type OnnxNodeBackendOptions, onnxNodeBackend } from './onnx/backend';
export {
  type PythonBackendOptions,
  type PythonDtype,
  type PythonEngine,
  pythonBackend,
} from './python/backend';
export { defaultBackends, type Platform } from './python/selection';
export type { DistributedHealth } from './redis/circuit';
export {
  aggregateCluster,
  type ClusterMetrics,
  type ClusterScaling,
  LATENCY_BOUNDS_MS,
  type LatencyPercentiles,
  mergeHistograms,
  percentile,
  RequestTotals,
  type ServerLoad,
  type ServerTotals,
} from './redis/cluster-metrics';
export {
  aggregateModels,
  type ClusterModelMetrics,
  type ModelRequest,
  ModelRequestTotals,
  type ModelTotals,
  type ServedModel,
} from './redis/cluster-models';
export {
  createGlobalLimits,
  type GlobalLimits,
  type GlobalLimitsOptions,
  type GlobalPermit,
} from './redis/global-limits';
export { createRedisCache, type RedisCacheDriver, type RedisCacheOptions } from './redis/redis-cache';
export {
  createServerRegistry,
  type ServerEntry,
  type ServerRegistry,
  type ServerRegistryOptions,
} from './redis/registry';
export type { SizeSample } from './redis/size-sampler';
export { type DistributedStatus, distributedStatus } from './redis/status';
export { createTieredCache, type TieredCacheOptions } from './redis/tiered-cache';
