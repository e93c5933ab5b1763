import type { Dtype } from '@reranker/core';

/** How a (query, passage) pair longer than `maxLength` is cut. */
export type Truncation = 'only_second' | 'longest_first';
export const TRUNCATIONS = ['only_second', 'longest_first'] as const satisfies readonly Truncation[];

/** Which hardware to try first; `auto` tries the accelerators present, then the CPU. */
export type DevicePreference = 'auto' | 'cuda' | 'mps' | 'coreml' | 'cpu';
export const DEVICE_PREFERENCES = [
  'auto',
  'cuda',
  'mps',
  'coreml',
  'cpu',
] as const satisfies readonly DevicePreference[];

/** The engine that runs the model when MLX does not: onnxruntime-node, or the Python worker on NumPy (CPU). */
export type EngineChoice = 'onnx' | 'numpy';
export const ENGINE_CHOICES = ['onnx', 'numpy'] as const satisfies readonly EngineChoice[];

/** The service's settings, read from environment variables by `loadConfig` (see `CONFIG_VARIABLES`). */
export interface RerankerConfig {
  /** Hub id (`owner/name`) or a folder path. @default 'Xenova/ms-marco-MiniLM-L-6-v2' */
  model: string;
  /** Hub revision: branch, tag or commit. @default 'main' */
  revision: string;
  /** A model folder used when the hub download fails (offline, unreachable, refused). */
  localModelPath?: string;
  /**
   * Tokens per (query, passage) pair, special tokens included (at most the model's).
   * @default the engine's per model kind: 512 for cross-encoders, 8192 for LLM rerankers
   */
  maxLength?: number;
  /** Tokens the query may keep before the passage is cut. @default 64 (LLM rerankers: a quarter of maxLength) */
  maxQueryTokens?: number;
  /** How over-long pairs are cut. @default 'only_second' */
  truncation: Truncation;
  /**
   * LLM rerankers: the instruction of requests that give none (`RERANKER_INSTRUCTION`); a
   * cross-encoder refuses it. @default the template's `defaultInstruction`
   */
  instruction?: string;
  /**
   * LLM rerankers: a JSON file holding a `YesNoRerankerTemplate` (`RERANKER_TEMPLATE_FILE`), for yes/no
   * rerankers other than Qwen3-Reranker; a cross-encoder refuses it. @default none (Qwen3 models use
   * Qwen3-Reranker's template)
   */
  templateFile?: string;
  /** Precision of the ONNX file to load. @default 'fp32' */
  dtype: Dtype;
  /**
   * Where the ONNX graph comes from when the model has both an export and a safetensors checkpoint
   * (`RERANKER_GRAPH`): `export` loads the repo's `onnx/` file; `build` builds the graph at load from
   * the checkpoint (flash attention for unpadded batches: far less memory on long inputs), and uses
   * the export only when there is no checkpoint to build from. @default 'export'
   */
  graph: GraphSource;
  /** Hardware to prefer. @default 'auto' */
  device: DevicePreference;
  /** Use MLX on Apple silicon: `auto` uses it when available. @default 'auto' */
  useMlx: boolean | 'auto';
  /** Python interpreter of the Python worker, MLX or NumPy (`RERANKER_PYTHON`). @default 'python3' */
  python: string;
  /** Engine when MLX is not used (`RERANKER_BACKEND`): `onnx`, or `numpy` (the Python worker on CPU). @default 'onnx' */
  backend: EngineChoice;
  /** Rerank requests run at once. @default 4 */
  maxParallel: number;
  /** Requests allowed to wait for a slot; 0 rejects as soon as all slots are busy. @default 10 */
  maxQueue: number;
  /** How long a request may wait for a slot, in ms. @default 30000 */
  queueTimeoutMs: number;
  /** Pairs per model run, or `'auto'` to measure (see core's `batchSize`). @default 16 */
  batchSize: number | 'auto';
  /** Padded tokens per model run (rows × width). @default 8192 */
  maxBatchTokens: number;
  /** Most padding per batch as a share of its real tokens. @default 0.2 */
  maxPaddingRatio: number;
  /** Let a free worker wait for a fuller batch while another is busy. @default true */
  microBatchEnabled: boolean;
  /** How long that wait may be, in ms. @default 5 */
  microBatchWindowMs: number;
  /** How long one model run may take before it is abandoned, in ms. @default 120000 */
  workerTimeoutMs: number;
  /** Retries of a failed model run; 0 disables retrying. @default 3 */
  maxRetries: number;
  /** Cache scores of (model, query, passage). @default true */
  cacheEnabled: boolean;
  /** How long a cached score lives, in ms. @default 300000 */
  cacheTtlMs: number;
  /** Cached scores kept at most. @default 10000 */
  cacheMaxEntries: number;
  /** How often expired scores are purged from the memory cache, in ms. @default 3600000 */
  clearCacheIntervalMs: number;
  /** Where hub downloads are stored. @default `$XDG_CACHE_HOME/reranker`, `~/.cache/reranker` or `%LOCALAPPDATA%\reranker\cache` */
  cacheDir: string;
  /** The hub (or a mirror) to download from, without trailing slash. @default 'https://huggingface.co' */
  hubEndpoint: string;
  /** Hugging Face access token, for private or gated models. */
  hubToken?: string;
  /** Never contact the hub: only cached or local models load. @default false */
  offline: boolean;
  /** Inference worker threads; unset lets the backend choose. */
  workers?: number;
  /** Intra-op threads per worker; unset lets the backend choose. */
  threadsPerWorker?: number;
  /** Share the pair cache with other servers through Redis (memory in front). @default false */
  distributed: boolean;
  /** Redis used in distributed mode. @default 'redis://127.0.0.1:6379' */
  redisUrl: string;
  /** Put before every Redis key, so deployments can share one Redis. @default 'reranker:' */
  redisKeyPrefix: string;
  /** Longest wait for one Redis round trip before the server carries on without it, in ms. @default 200 */
  redisTimeoutMs: number;
  /**
   * Time between background counts of the shared cache's entries (a SCAN under the prefix), shown by
   * /health and /info; 0 turns counting off. @default 60000
   */
  redisSizeSampleMs: number;
  /** Rerank requests running at once across the cluster (Redis leases, distributed mode); 0 is off. @default 0 */
  globalMaxParallel: number;
  /** How long a lease outlives its last renewal, so a crashed server's slots come back, in ms. @default 10000 */
  globalLeaseTtlMs: number;
  /** Rerank requests per second across the cluster (distributed mode); 0 is off. @default 0 */
  globalRateLimitRps: number;
}

/** Where the ONNX graph comes from when a model has both an export and a safetensors checkpoint. */
export type GraphSource = 'export' | 'build';
