import { DEFAULTS, isRerankerError, type RerankerError } from '@reranker/core';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, defaultCacheDir, loadConfig } from '../src/config';

/** Runs `loadConfig` expecting INVALID_CONFIG and returns the error. */
function configError(env: Record<string, string>): RerankerError {
  try {
    loadConfig(env);
  } catch (error) {
    if (isRerankerError(error, 'INVALID_CONFIG')) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const HOME_ENV = { HOME: '/home/someone' };

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      model: 'Xenova/ms-marco-MiniLM-L-6-v2',
      revision: 'main',
      truncation: 'only_second',
      dtype: 'fp32',
      device: 'auto',
      useMlx: 'auto',
      python: 'python3',
      maxParallel: 4,
      maxQueue: 10,
      queueTimeoutMs: 30_000,
      batchSize: 16,
      maxBatchTokens: 8192,
      workerTimeoutMs: 120_000,
      maxRetries: 3,
      cacheEnabled: true,
      cacheTtlMs: 300_000,
      cacheMaxEntries: 10_000,
      clearCacheIntervalMs: 3_600_000,
      hubEndpoint: 'https://huggingface.co',
      offline: false,
    });
    expect(config.localModelPath).toBeUndefined();
    expect(config.hubToken).toBeUndefined();
    // Unset: the engine's per model kind (512 and 64 for cross-encoders, 8192 and 2048 for LLM rerankers).
    expect(config.maxLength).toBeUndefined();
    expect(config.maxQueryTokens).toBeUndefined();
    expect(config.instruction).toBeUndefined();
    expect(config.templateFile).toBeUndefined();
    expect(config.workers).toBeUndefined();
    expect(config.threadsPerWorker).toBeUndefined();
    expect(config.cacheDir).toBe(defaultCacheDir({}));
  });

  it("defaults every variable that sets an engine option to core's default (one source)", () => {
    const config = loadConfig({}) as unknown as Record<string, unknown>;
    const shared = Object.keys(DEFAULTS).filter((key) => key in config);
    expect(shared.sort()).toEqual(
      [
        'batchSize',
        'cacheMaxEntries',
        'cacheTtlMs',
        'clearCacheIntervalMs',
        'dtype',
        'maxBatchTokens',
        'maxPaddingRatio',
        'maxParallel',
        'maxQueue',
        'maxRetries',
        'microBatchWindowMs',
        'queueTimeoutMs',
        'truncation',
        'workerTimeoutMs',
      ].sort(),
    );
    for (const key of shared)
      expect([key, config[key]]).toEqual([key, DEFAULTS[key as keyof typeof DEFAULTS]]);
  });

  it('parses every variable', () => {
    const config = loadConfig({
      RERANKER_MODEL: 'BAAI/bge-reranker-base',
      RERANKER_MODEL_REVISION: 'refs/pr/3',
      RERANKER_LOCAL_MODEL_PATH: '/models/bge',
      RERANKER_MAX_LENGTH: '256',
      RERANKER_MAX_QUERY_TOKENS: '32',
      RERANKER_TRUNCATION: 'longest_first',
      RERANKER_DTYPE: 'q8',
      RERANKER_GRAPH: 'build',
      DEVICE_PREFERENCE: 'CUDA',
      USE_MLX: 'no',
      RERANKER_PYTHON: '/opt/venv/bin/python',
      RERANKER_BACKEND: 'NumPy',
      MAX_PARALLEL_REQUESTS: '8',
      MAX_QUEUE_SIZE: '0',
      QUEUE_TIMEOUT_SECONDS: '2.5',
      BATCH_SIZE: '32',
      MAX_BATCH_TOKENS: '4096',
      MAX_PADDING_RATIO: '0.35',
      MICRO_BATCH_ENABLED: 'no',
      MICRO_BATCH_WINDOW_MS: '12',
      WORKER_TIMEOUT: '45',
      MAX_RETRIES: '0',
      ENABLE_PREDICTION_CACHE: 'FALSE',
      CACHE_TTL_SECONDS: '60',
      CACHE_MAX_ENTRIES: '500',
      CLEAR_CACHE_INTERVAL: '600',
      RERANKER_CACHE_DIR: '/var/cache/reranker',
      HF_ENDPOINT: 'https://hf-mirror.example.com/',
      HF_TOKEN: 'hf_secret',
      RERANKER_OFFLINE: '1',
      INFERENCE_WORKERS: '2',
      INFERENCE_THREADS: '3',
      ENABLE_DISTRIBUTED: 'true',
      REDIS_URL: 'redis://:pw@redis.internal:6380/1',
      REDIS_KEY_PREFIX: 'prod:',
      REDIS_TIMEOUT_MS: '150',
      REDIS_SIZE_SAMPLE_MS: '0',
      GLOBAL_MAX_PARALLEL: '12',
      GLOBAL_LEASE_TTL_MS: '4000',
      GLOBAL_RATE_LIMIT_RPS: '50',
    });
    expect(config).toEqual({
      model: 'BAAI/bge-reranker-base',
      revision: 'refs/pr/3',
      localModelPath: '/models/bge',
      maxLength: 256,
      maxQueryTokens: 32,
      truncation: 'longest_first',
      dtype: 'q8',
      graph: 'build',
      device: 'cuda',
      useMlx: false,
      python: '/opt/venv/bin/python',
      backend: 'numpy',
      maxParallel: 8,
      maxQueue: 0,
      queueTimeoutMs: 2500,
      batchSize: 32,
      maxBatchTokens: 4096,
      maxPaddingRatio: 0.35,
      microBatchEnabled: false,
      microBatchWindowMs: 12,
      workerTimeoutMs: 45_000,
      maxRetries: 0,
      cacheEnabled: false,
      cacheTtlMs: 60_000,
      cacheMaxEntries: 500,
      clearCacheIntervalMs: 600_000,
      cacheDir: '/var/cache/reranker',
      hubEndpoint: 'https://hf-mirror.example.com',
      hubToken: 'hf_secret',
      offline: true,
      workers: 2,
      threadsPerWorker: 3,
      distributed: true,
      redisUrl: 'redis://:pw@redis.internal:6380/1',
      redisKeyPrefix: 'prod:',
      redisTimeoutMs: 150,
      redisSizeSampleMs: 0,
      globalMaxParallel: 12,
      globalLeaseTtlMs: 4000,
      globalRateLimitRps: 50,
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['YES', true],
    ['False', false],
    ['0', false],
    ['no', false],
  ])('reads the boolean %s as %s', (raw, value) => {
    expect(loadConfig({ ENABLE_PREDICTION_CACHE: raw }).cacheEnabled).toBe(value);
    expect(loadConfig({ HF_HUB_OFFLINE: raw }).offline).toBe(value);
  });

  it('reads BATCH_SIZE as auto or a whole number', () => {
    expect(loadConfig({ BATCH_SIZE: 'auto' }).batchSize).toBe('auto');
    expect(loadConfig({ BATCH_SIZE: 'Auto' }).batchSize).toBe('auto');
    expect(loadConfig({ BATCH_SIZE: '8' }).batchSize).toBe(8);
    for (const bad of ['0', '8.5', 'automatic', '-4']) {
      expect(configError({ BATCH_SIZE: bad }).message).toMatch(
        /BATCH_SIZE.*auto or a whole number from 1 to 4096/s,
      );
    }
  });

  it('reads USE_MLX as auto or a boolean', () => {
    expect(loadConfig({ USE_MLX: 'AUTO' }).useMlx).toBe('auto');
    expect(loadConfig({ USE_MLX: 'yes' }).useMlx).toBe(true);
  });

  it('lets RERANKER_OFFLINE win over HF_HUB_OFFLINE', () => {
    expect(loadConfig({ RERANKER_OFFLINE: 'false', HF_HUB_OFFLINE: '1' }).offline).toBe(false);
    expect(loadConfig({ HF_HUB_OFFLINE: 'true' }).offline).toBe(true);
  });

  it('treats empty and blank values as unset', () => {
    const blank = Object.fromEntries(
      CONFIG_VARIABLES.map((v) => [v.variable, v.key === 'model' ? '' : '  ']),
    );
    expect(loadConfig(blank)).toEqual(loadConfig({}));
  });

  it('expands ~ in paths', () => {
    const config = loadConfig({ RERANKER_LOCAL_MODEL_PATH: '~/models/x' });
    expect(config.localModelPath).toMatch(/[\\/]models[\\/]x$/);
    expect(config.localModelPath?.startsWith('~')).toBe(false);
  });

  it.each([
    ['RERANKER_DTYPE', 'fp8', 'use fp32, fp16 or q8'],
    ['RERANKER_TRUNCATION', 'only_first', 'use only_second or longest_first'],
    ['DEVICE_PREFERENCE', 'gpu', 'use auto, cuda, mps, coreml or cpu'],
    ['USE_MLX', 'maybe', 'use auto, true or false'],
    ['ENABLE_PREDICTION_CACHE', 'on', 'use true or false'],
    ['RERANKER_MAX_LENGTH', '12.5', 'whole number'],
    ['RERANKER_MAX_LENGTH', 'abc', 'whole number'],
    ['MAX_PARALLEL_REQUESTS', '0', 'from 1 to'],
    ['MAX_QUEUE_SIZE', '-1', 'from 0 to'],
    ['MAX_RETRIES', '-3', 'from 0 to'],
    ['QUEUE_TIMEOUT_SECONDS', '0', 'seconds above 0'],
    ['WORKER_TIMEOUT', '1e3', 'seconds above 0'],
    ['HF_ENDPOINT', 'ftp://mirror', 'http(s) URL'],
    ['HF_ENDPOINT', 'not a url', 'http(s) URL'],
    ['HF_HUB_OFFLINE', 'sometimes', 'use true or false'],
    ['INFERENCE_WORKERS', '0', 'from 1 to'],
    ['MAX_PADDING_RATIO', '-0.1', 'a number from 0 to 100'],
    ['MAX_PADDING_RATIO', '20%', 'a number from 0 to 100'],
  ])('rejects %s=%s naming the variable, the value and what is accepted', (variable, value, accepted) => {
    const error = configError({ [variable]: value });
    expect(error.message).toContain(`${variable}="${value}" is not valid`);
    expect(error.message).toContain(accepted);
    expect(error.details).toEqual({
      errors: [{ variable, value, message: expect.stringContaining(variable) }],
    });
  });

  it('reports every bad variable in one error', () => {
    const error = configError({
      RERANKER_DTYPE: 'fp8',
      BATCH_SIZE: 'many',
      USE_MLX: 'perhaps',
      RERANKER_MODEL: 'ok/x',
    });
    const errors = (error.details as { errors: { variable: string }[] }).errors;
    expect(errors.map((e) => e.variable)).toEqual(['RERANKER_DTYPE', 'USE_MLX', 'BATCH_SIZE']);
    for (const variable of ['RERANKER_DTYPE', 'BATCH_SIZE', 'USE_MLX'])
      expect(error.message).toContain(variable);
    expect(error.message).toContain('3 variables are wrong');
  });

  it('reads the LLM reranker variables: the instruction as text, the template file as an absolute path', () => {
    const config = loadConfig({ RERANKER_INSTRUCTION: 'Find answers', RERANKER_TEMPLATE_FILE: 'rel/t.json' });
    expect(config.instruction).toBe('Find answers');
    expect(config.templateFile).toBe(`${process.cwd()}/rel/t.json`);
  });

  it('checks variables against each other', () => {
    expect(configError({ RERANKER_MAX_LENGTH: '64', RERANKER_MAX_QUERY_TOKENS: '64' }).message).toContain(
      'RERANKER_MAX_QUERY_TOKENS=64 must be below RERANKER_MAX_LENGTH=64',
    );
    expect(configError({ MAX_BATCH_TOKENS: '256' }).message).toContain(
      'MAX_BATCH_TOKENS=256 must be at least RERANKER_MAX_LENGTH=512',
    );
  });
});

describe('cache folder', () => {
  it('follows XDG_CACHE_HOME or ~/.cache on Linux and macOS', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' }, 'linux', '/home/a')).toBe('/xdg/reranker');
    expect(defaultCacheDir({}, 'darwin', '/Users/a')).toBe('/Users/a/.cache/reranker');
    // A relative XDG_CACHE_HOME is invalid per the XDG spec and ignored.
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel' }, 'linux', '/home/a')).toBe('/home/a/.cache/reranker');
  });

  it('uses %LOCALAPPDATA% on Windows', () => {
    expect(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32', 'C:\\Users\\a')).toBe(
      'C:\\Users\\a\\AppData\\Local\\reranker\\cache',
    );
    expect(defaultCacheDir({}, 'win32', 'C:\\Users\\a')).toBe(
      'C:\\Users\\a\\AppData\\Local\\reranker\\cache',
    );
  });

  it('is never under node_modules, whatever the working directory', () => {
    const dirs = [
      loadConfig(HOME_ENV).cacheDir,
      loadConfig({ XDG_CACHE_HOME: '/tmp/xdg' }).cacheDir,
      defaultCacheDir({}, 'linux', '/home/a'),
      defaultCacheDir({}, 'win32', 'C:\\Users\\a'),
    ];
    for (const dir of dirs) expect(dir).not.toMatch(/node_modules/);
    expect(loadConfig({ XDG_CACHE_HOME: '/tmp/xdg' }).cacheDir).toBe('/tmp/xdg/reranker');
  });

  it('takes RERANKER_CACHE_DIR as given, resolved to an absolute path', () => {
    expect(loadConfig({ RERANKER_CACHE_DIR: '/data/cache' }).cacheDir).toBe('/data/cache');
    expect(loadConfig({ RERANKER_CACHE_DIR: 'rel/cache' }).cacheDir).toBe(`${process.cwd()}/rel/cache`);
  });
});

describe('CONFIG_VARIABLES', () => {
  it('documents every config key once, with what it accepts', () => {
    const keys = CONFIG_VARIABLES.map((v) => v.key).sort();
    expect(keys).toEqual(Object.keys(loadConfig({ ...fullEnv() })).sort());
    expect(new Set(CONFIG_VARIABLES.map((v) => v.variable)).size).toBe(CONFIG_VARIABLES.length);
    for (const v of CONFIG_VARIABLES) {
      expect(v.description.length).toBeGreaterThan(10);
      expect(v.accepts.length).toBeGreaterThan(3);
    }
  });

  it('shows defaults that the parser really applies', () => {
    for (const v of CONFIG_VARIABLES) {
      // Described defaults: computed from the environment, or chosen by the engine per model kind.
      if (v.default === undefined || ['cacheDir', 'maxLength', 'maxQueryTokens'].includes(v.key)) continue;
      expect(loadConfig({ [v.variable]: v.default })[v.key], v.variable).toEqual(loadConfig({})[v.key]);
    }
    const dtype = CONFIG_VARIABLES.find((v) => v.key === 'dtype');
    expect(dtype).toMatchObject({ variable: 'RERANKER_DTYPE', default: 'fp32' });
  });
});

/** Values for the optional variables, so every key appears in the result. */
function fullEnv(): Record<string, string> {
  return {
    RERANKER_LOCAL_MODEL_PATH: '/m',
    HF_TOKEN: 't',
    INFERENCE_WORKERS: '1',
    INFERENCE_THREADS: '1',
    RERANKER_MAX_LENGTH: '512',
    RERANKER_MAX_QUERY_TOKENS: '64',
    RERANKER_INSTRUCTION: 'Find answers',
    RERANKER_TEMPLATE_FILE: '/t.json',
  };
}
