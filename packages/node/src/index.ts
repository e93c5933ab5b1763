export {
  CONFIG_VARIABLES,
  type ConfigIssue,
  type ConfigVariable,
  DEVICE_PREFERENCES,
  type DevicePreference,
  defaultCacheDir,
  loadConfig,
  type RerankerConfig,
  TRUNCATIONS,
  type Truncation,
} from './config';
export { type CreateRerankerOptions, createReranker } from './create-reranker';
export { hubCacheFolder } from './model/hub';
export { openLocalModel } from './model/local';
export type { ProgressMode } from './model/progress';
export { type ResolveModelOptions, resolveModel } from './model/resolve';
export { type GraphOptimizationLevel, type OnnxNodeBackendOptions, onnxNodeBackend } from './onnx/backend';
