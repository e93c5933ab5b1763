import { DECODER_MAX_LENGTH, DEFAULTS, DTYPES } from '@reranker/core';
import { defaultCacheDir } from './cache-dir';
import {
  boolean,
  booleanOrAuto,
  decimal,
  httpUrl,
  integer,
  integerOrAuto,
  oneOf,
  path,
  secondsAsMs,
  text,
  type ValueKind,
} from './kinds';
import { DEVICE_PREFERENCES, ENGINE_CHOICES, type RerankerConfig, TRUNCATIONS } from './types';

type Env = Record<string, string | undefined>;
type Key = keyof RerankerConfig;

/** How one key of the config is read. The parser is built from these, so docs and behaviour agree. */
export interface VariableSpec<K extends Key> {
  variable: string;
  /** Other variables read when `variable` is unset, in order (e.g. HF_HUB_OFFLINE). */
  aliases?: readonly string[];
  kind: ValueKind<Exclude<RerankerConfig[K], undefined>>;
  /** The default as the variable's text (parsed like user input); unset means no value. */
  default?: string;
  /** A default the engine chooses (e.g. per model kind) when the variable is unset, as docs describe it. */
  documentedDefault?: string;
  /** A default that depends on the environment, with how docs should describe it. */
  computedDefault?: { text: string; value(env: Env): string };
  description: string;
}

const DAY = 86_400;
/** A default of core's in milliseconds, as the seconds a `secondsAsMs` variable takes. */
const seconds = (ms: number) => String(ms / 1000);

/** One entry per config key (the mapped type makes a missing or duplicated key a compile error). */
export const VARIABLE_SPECS: { [K in Key]-?: VariableSpec<K> } = {
  model: {
    variable: 'RERANKER_MODEL',
    kind: text('a hub id such as owner/name, or a folder path'),
    default: 'Xenova/ms-marco-MiniLM-L-6-v2',
    description: 'Hugging Face hub id (owner/name) or a local folder holding an ONNX cross-encoder.',
  },
  revision: {
    variable: 'RERANKER_MODEL_REVISION',
    kind: text('a branch, tag or commit'),
    default: 'main',
    description: 'Hub revision to download: a branch, tag or commit hash.',
  },
  localModelPath: {
    variable: 'RERANKER_LOCAL_MODEL_PATH',
    kind: path(),
    description: 'Model folder used when the hub download fails (offline, unreachable, refused).',
  },
  maxLength: {
    variable: 'RERANKER_MAX_LENGTH',
    kind: integer(8, 65_536),
    documentedDefault: `${DEFAULTS.maxLength} (LLM rerankers: ${DECODER_MAX_LENGTH}), at most the model's`,
    description: 'Tokens per (query, passage) pair, special tokens included; longer pairs are cut.',
  },
  maxQueryTokens: {
    variable: 'RERANKER_MAX_QUERY_TOKENS',
    kind: integer(1, 65_536),
    documentedDefault: `${DEFAULTS.maxQueryTokens} (LLM rerankers: a quarter of RERANKER_MAX_LENGTH)`,
    description: 'Tokens the query keeps before the passage is cut (must be below RERANKER_MAX_LENGTH).',
  },
  truncation: {
    variable: 'RERANKER_TRUNCATION',
    kind: oneOf(TRUNCATIONS),
    default: DEFAULTS.truncation,
    description: 'How over-long pairs are cut: only the passage, or the longer of the two first.',
  },
  instruction: {
    variable: 'RERANKER_INSTRUCTION',
    kind: text('any non-empty text'),
    description:
      "LLM rerankers: the instruction of requests that send none (unset: the template's); a cross-encoder refuses it.",
  },
  templateFile: {
    variable: 'RERANKER_TEMPLATE_FILE',
    kind: { ...path(), accepts: 'a JSON file path' },
    description:
      "LLM rerankers: JSON file of a yes/no prompt template (see LLM rerankers); unset: Qwen3-Reranker's for Qwen3.",
  },
  dtype: {
    variable: 'RERANKER_DTYPE',
    kind: oneOf(DTYPES as readonly ['fp32', 'fp16', 'q8']),
    default: DEFAULTS.dtype,
    description:
      'Precision of the ONNX file: fp32 (onnx/model.onnx), fp16 or q8 (onnx/model_quantized.onnx).',
  },
  graph: {
    variable: 'RERANKER_GRAPH',
    kind: oneOf(['export', 'build'] as const),
    default: 'export',
    description:
      "With both an ONNX export and a safetensors checkpoint: export loads the repo's onnx/ file; build builds the graph at load (flash attention for unpadded batches: far less memory on long inputs).",
  },
  device: {
    variable: 'DEVICE_PREFERENCE',
    kind: oneOf(DEVICE_PREFERENCES),
    default: 'auto',
    description: 'Hardware to prefer; auto tries the accelerators present, then the CPU.',
  },
  useMlx: {
    variable: 'USE_MLX',
    kind: booleanOrAuto(),
    default: 'auto',
    description: 'Use MLX on Apple silicon; auto uses it when available.',
  },
  python: {
    variable: 'RERANKER_PYTHON',
    kind: text('a Python interpreter command or path'),
    default: 'python3',
    description: 'Python interpreter of the MLX and NumPy workers (needs numpy, and mlx for MLX).',
  },
  backend: {
    variable: 'RERANKER_BACKEND',
    kind: oneOf(ENGINE_CHOICES),
    default: 'onnx',
    description:
      'Engine when MLX is not used: onnx (onnxruntime-node) or numpy (the Python worker, CPU only).',
  },
  maxParallel: {
    variable: 'MAX_PARALLEL_REQUESTS',
    kind: integer(1, 1024),
    default: String(DEFAULTS.maxParallel),
    description: 'Rerank requests processed at once.',
  },
  maxQueue: {
    variable: 'MAX_QUEUE_SIZE',
    kind: integer(0, 1_000_000),
    default: String(DEFAULTS.maxQueue),
    description: 'Requests allowed to wait for a free slot; 0 rejects when all slots are busy.',
  },
  queueTimeoutMs: {
    variable: 'QUEUE_TIMEOUT_SECONDS',
    kind: secondsAsMs(DAY),
    default: seconds(DEFAULTS.queueTimeoutMs),
    description: 'Seconds a request may wait in the queue before it fails.',
  },
  batchSize: {
    variable: 'BATCH_SIZE',
    kind: integerOrAuto(1, 4096),
    default: String(DEFAULTS.batchSize),
    description:
      'Pairs per model run; `auto` times 4, 8, 16 and 32 at warm-up, keeps the fastest and re-checks under load (logged).',
  },
  maxBatchTokens: {
    variable: 'MAX_BATCH_TOKENS',
    kind: integer(8, 16_777_216),
    default: String(DEFAULTS.maxBatchTokens),
    description:
      'Padded tokens per model run (pairs × width); must be at least RERANKER_MAX_LENGTH. Pairs past 512 tokens also keep pairs × width² ≤ this × 512 (attention memory grows with the square of the width).',
  },
  maxPaddingRatio: {
    variable: 'MAX_PADDING_RATIO',
    kind: decimal(0, 100),
    default: String(DEFAULTS.maxPaddingRatio),
    description:
      'Most padding a model run may carry, as a share of its real tokens; a longer pair goes to the next run.',
  },
  microBatchEnabled: {
    variable: 'MICRO_BATCH_ENABLED',
    kind: boolean(),
    default: 'true',
    description: 'While one worker is busy, let a free worker wait MICRO_BATCH_WINDOW_MS for a fuller batch.',
  },
  microBatchWindowMs: {
    variable: 'MICRO_BATCH_WINDOW_MS',
    kind: integer(0, 10_000),
    default: String(DEFAULTS.microBatchWindowMs),
    description: 'Milliseconds a free worker waits for more pairs while another worker is busy.',
  },
  workerTimeoutMs: {
    variable: 'WORKER_TIMEOUT',
    kind: secondsAsMs(DAY),
    default: seconds(DEFAULTS.workerTimeoutMs),
    description: 'Seconds one model run may take before it is abandoned.',
  },
  maxRetries: {
    variable: 'MAX_RETRIES',
    kind: integer(0, 100),
    default: String(DEFAULTS.maxRetries),
    description: 'Retries of a failed model run; 0 disables retrying.',
  },
  cacheEnabled: {
    variable: 'ENABLE_PREDICTION_CACHE',
    kind: boolean(),
    default: 'true',
    description: 'Cache the scores of (model, query, passage).',
  },
  cacheTtlMs: {
    variable: 'CACHE_TTL_SECONDS',
    kind: secondsAsMs(365 * DAY),
    default: seconds(DEFAULTS.cacheTtlMs),
    description: 'Seconds a cached score lives.',
  },
  cacheMaxEntries: {
    variable: 'CACHE_MAX_ENTRIES',
    kind: integer(1, 100_000_000),
    default: String(DEFAULTS.cacheMaxEntries),
    description: 'Cached scores kept at most (least recently used go first).',
  },
  clearCacheIntervalMs: {
    variable: 'CLEAR_CACHE_INTERVAL',
    kind: secondsAsMs(365 * DAY),
    default: seconds(DEFAULTS.clearCacheIntervalMs),
    description:
      'Seconds between purges of expired scores from the memory cache (TTL still applies between purges).',
  },
  cacheDir: {
    variable: 'RERANKER_CACHE_DIR',
    kind: path(),
    computedDefault: {
      text: '$XDG_CACHE_HOME/reranker or ~/.cache/reranker (Windows: %LOCALAPPDATA%\\reranker\\cache)',
      value: (env) => defaultCacheDir(env),
    },
    description: 'Folder for downloaded models (kept out of node_modules, which installs wipe).',
  },
  hubEndpoint: {
    variable: 'HF_ENDPOINT',
    kind: httpUrl(),
    default: 'https://huggingface.co',
    description: 'Hugging Face hub or mirror to download models from.',
  },
  hubToken: {
    variable: 'HF_TOKEN',
    kind: text('a Hugging Face access token'),
    description: 'Access token for private or gated models (sent only to HF_ENDPOINT).',
  },
  offline: {
    variable: 'RERANKER_OFFLINE',
    aliases: ['HF_HUB_OFFLINE'],
    kind: boolean(),
    default: 'false',
    description: 'Never contact the hub: only cached models and local folders load.',
  },
  workers: {
    variable: 'INFERENCE_WORKERS',
    kind: integer(1, 256),
    description: 'Inference worker threads; unset lets the backend choose from the CPU count.',
  },
  threadsPerWorker: {
    variable: 'INFERENCE_THREADS',
    kind: integer(1, 256),
    description: 'Compute threads per inference worker; unset lets the backend choose.',
  },
  distributed: {
    variable: 'ENABLE_DISTRIBUTED',
    kind: boolean(),
    default: 'false',
    description: 'Share cached scores with every server on the same Redis (memory cache in front).',
  },
  redisUrl: {
    variable: 'REDIS_URL',
    kind: redisUrl(),
    default: 'redis://127.0.0.1:6379',
    description: 'Redis used when ENABLE_DISTRIBUTED is true (password and db number go in the URL).',
  },
  redisKeyPrefix: {
    variable: 'REDIS_KEY_PREFIX',
    kind: text('any non-empty text, e.g. reranker:'),
    default: 'reranker:',
    description: 'Put before every Redis key, so several deployments can share one Redis.',
  },
  redisTimeoutMs: {
    variable: 'REDIS_TIMEOUT_MS',
    kind: integer(1, 60_000),
    default: '200',
    description: 'Milliseconds one Redis call may take before the server carries on without Redis.',
  },
  redisSizeSampleMs: {
    variable: 'REDIS_SIZE_SAMPLE_MS',
    kind: integer(0, 86_400_000),
    default: '60000',
    description:
      'Milliseconds between background counts of the shared cache entries (/health, /info); 0 turns it off.',
  },
  globalMaxParallel: {
    variable: 'GLOBAL_MAX_PARALLEL',
    kind: integer(0, 1_000_000),
    default: '0',
    description:
      'Rerank requests running at once across all servers on the Redis (leases); 0 turns the limit off.',
  },
  globalLeaseTtlMs: {
    variable: 'GLOBAL_LEASE_TTL_MS',
    kind: integer(100, 3_600_000),
    default: '10000',
    description:
      'Milliseconds a crashed server keeps its GLOBAL_MAX_PARALLEL slots (leases renew every third).',
  },
  globalRateLimitRps: {
    variable: 'GLOBAL_RATE_LIMIT_RPS',
    kind: integer(0, 10_000_000),
    default: '0',
    description:
      'Rerank requests per second across all servers (fixed 1 s windows in Redis); 0 turns it off.',
  },
};

/** A redis:// or rediss:// (TLS) URL. */
function redisUrl(): ValueKind<string> {
  return {
    accepts: 'a redis:// or rediss:// URL',
    parse: (raw) => (/^rediss?:\/\/[^\s]*$/i.test(raw) && URL.canParse(raw) ? raw : undefined),
  };
}

/** A documented environment variable, for the README and the server's --help. */
export interface ConfigVariable {
  variable: string;
  /** Other names read when `variable` is unset. */
  aliases: readonly string[];
  /** The `RerankerConfig` key it sets. */
  key: Key;
  /** The default as the variable would be written, or a description of a computed one; none if unset. */
  default: string | undefined;
  /** What values are accepted. */
  accepts: string;
  description: string;
}

export const CONFIG_VARIABLES: readonly ConfigVariable[] = (Object.keys(VARIABLE_SPECS) as Key[]).map(
  (key) => {
    const spec: VariableSpec<Key> = VARIABLE_SPECS[key];
    return {
      variable: spec.variable,
      aliases: spec.aliases ?? [],
      key,
      default: spec.computedDefault?.text ?? spec.documentedDefault ?? spec.default,
      accepts: spec.kind.accepts,
      description: spec.description,
    };
  },
);
