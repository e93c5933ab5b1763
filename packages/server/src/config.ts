import { RerankerError } from '@reranker/core';
import { z } from 'zod';
import { BOOL_WORDS, bool, int, list, type ServerVariable, size, variable } from './config-kinds';
import { MODEL_VARIABLES } from './models/variables';

type Env = Record<string, string | undefined>;

export type { ServerVariable } from './config-kinds';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The HTTP service's settings (the engine's own are read by `loadConfig` of @reranker/node). */
export interface ServerConfig {
  /** Interface to listen on; use 0.0.0.0 in containers. @default '127.0.0.1' */
  host: string;
  /** TCP port; 0 picks a free one. @default 8000 */
  port: number;
  /** pino level. @default 'info' */
  logLevel: LogLevel;
  /** Run one pair per worker before reporting ready. @default true */
  warmupOnStart: boolean;
  /** Largest JSON body in bytes; larger bodies get 413. @default 2097152 (2mb) */
  bodyLimitBytes: number;
  /** Most documents (TEI: texts) in one request. @default 1000 */
  maxDocumentsPerRequest: number;
  /** Deepest nesting of objects and arrays in a request body (the top level is 1). @default 32 */
  maxJsonDepth: number;
  /** Longest time to receive a whole request, headers and body; then 408. @default 60000 */
  requestTimeoutMs: number;
  /** Longest time to receive a request's headers; then 408. At most `requestTimeoutMs`. @default 10000 */
  headersTimeoutMs: number;
  /** Bearer keys accepted on rerank routes; empty means no authentication. @default [] */
  apiKeys: string[];
  /** Require a key on health, readiness, info and metrics too. @default false */
  metricsRequireAuth: boolean;
  /** Origins allowed by CORS; empty turns CORS off, `['*']` allows any. @default [] */
  corsOrigins: string[];
  /** Extra model names answered by the served model. @default [] */
  modelAliases: string[];
  /** Answer unknown `model` names with 404 instead of the served model. @default false */
  strictModelNames: boolean;
  /** Seconds in-flight requests get to finish after SIGTERM/SIGINT. @default 30 */
  shutdownTimeoutMs: number;
  /** Serve the live dashboard and playground at GET /dashboard. @default true */
  dashboard: boolean;
  /**
   * Share of each server's request slots the cluster should keep busy: `desired_servers` of
   * GET /metrics/cluster sizes the cluster for it. In (0, 1]. @default 0.7
   */
  scaleTargetUtilization: number;
  /** Served models as `name=source` pairs (RERANKER_MODELS); empty serves RERANKER_MODEL alone. @default [] */
  models: { name: string; source: string }[];
  /** JSON or YAML file of per-model settings (RERANKER_MODELS_FILE). */
  modelsFile?: string;
  /** The model answering requests without `model`. @default the first configured model */
  defaultModel?: string;
  /** Unload a model unused this long, in ms; 0 never unloads. @default 0 */
  modelIdleUnloadMs: number;
  /** Most bytes of model weights resident at once; 0 is unbounded. @default 0 */
  modelMemoryBudgetBytes: number;
}

/** Every server variable, in the order --help and the README list them. */
export const SERVER_VARIABLES: readonly ServerVariable[] = [
  variable(
    'HOST',
    'host',
    '127.0.0.1',
    'an interface address or host name',
    'Interface to listen on; 0.0.0.0 in containers.',
    z.string().min(1),
  ),
  variable(
    'PORT',
    'port',
    '8000',
    'a whole number from 0 to 65535',
    'TCP port to listen on (0 picks a free port).',
    int(0, 65_535),
  ),
  variable(
    'LOG_LEVEL',
    'logLevel',
    'info',
    LOG_LEVELS.join(', '),
    'Log level (pino, JSON lines on stdout).',
    z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(LOG_LEVELS)),
  ),
  variable(
    'WARMUP_ON_START',
    'warmupOnStart',
    'true',
    BOOL_WORDS,
    'Run a warm-up pair on every worker before reporting ready.',
    bool,
  ),
  variable(
    'BODY_LIMIT',
    'bodyLimitBytes',
    '2mb',
    'a size such as 2mb, 512kb or 1048576 (bytes), from 1kb to 1gb',
    'Largest JSON request body; larger ones get 413.',
    size,
  ),
  variable(
    'MAX_DOCUMENTS_PER_REQUEST',
    'maxDocumentsPerRequest',
    '1000',
    'a whole number from 1 to 1000000',
    'Most documents (or TEI texts) in one request.',
    int(1, 1_000_000),
  ),
  variable(
    'MAX_JSON_DEPTH',
    'maxJsonDepth',
    '32',
    'a whole number from 3 to 1000',
    'Deepest nesting of objects and arrays in a request body; deeper ones get 400/422.',
    int(3, 1000),
  ),
  variable(
    'REQUEST_TIMEOUT_MS',
    'requestTimeoutMs',
    '60000',
    'a whole number of milliseconds from 1000 to 3600000',
    'Longest time to receive a whole request (headers and body); slower ones get 408.',
    int(1000, 3_600_000),
  ),
  variable(
    'HEADERS_TIMEOUT_MS',
    'headersTimeoutMs',
    '10000',
    'a whole number of milliseconds from 1000 to 3600000, at most REQUEST_TIMEOUT_MS',
    'Longest time to receive the headers of a request; slower ones get 408.',
    int(1000, 3_600_000),
  ),
  variable(
    'API_KEYS',
    'apiKeys',
    '(unset)',
    'comma-separated keys',
    'When set, rerank routes require Authorization: Bearer <key>.',
    list,
  ),
  variable(
    'METRICS_REQUIRE_AUTH',
    'metricsRequireAuth',
    'false',
    BOOL_WORDS,
    'Require a key on health, readiness, info and metrics routes too.',
    bool,
  ),
  variable(
    'CORS_ORIGINS',
    'corsOrigins',
    '(unset)',
    'comma-separated origins, or *',
    'Origins allowed by CORS; unset turns CORS off.',
    list,
  ),
  variable(
    'RERANKER_MODEL_ALIASES',
    'modelAliases',
    '(unset)',
    'comma-separated names',
    'Extra `model` names answered by the served model.',
    list,
  ),
  variable(
    'STRICT_MODEL_NAMES',
    'strictModelNames',
    'false',
    BOOL_WORDS,
    'Reject unknown `model` names with 404 instead of serving them.',
    bool,
  ),
  variable(
    'SHUTDOWN_TIMEOUT_SECONDS',
    'shutdownTimeoutMs',
    '30',
    'a number of seconds from 0 to 3600',
    'Seconds in-flight requests get to finish on SIGTERM/SIGINT.',
    z
      .string()
      .regex(/^\+?(\d+\.?\d*|\.\d+)$/)
      .transform(Number)
      .pipe(z.number().min(0).max(3600))
      .transform((s) => Math.round(s * 1000)),
  ),
  variable(
    'DASHBOARD',
    'dashboard',
    'true',
    BOOL_WORDS,
    'Serve the live dashboard and playground at GET /dashboard (false: 404).',
    bool,
  ),
  variable(
    'SCALE_TARGET_UTILIZATION',
    'scaleTargetUtilization',
    '0.7',
    'a number above 0 and at most 1',
    'Share of request slots to keep busy: GET /metrics/cluster sizes desired_servers for it.',
    z
      .string()
      .regex(/^\+?(\d+\.?\d*|\.\d+)$/)
      .transform(Number)
      .pipe(z.number().gt(0).max(1)),
  ),
  ...MODEL_VARIABLES,
];

/**
 * Reads the server's variables. Empty values count as unset; every bad variable is reported at once
 * in one `INVALID_CONFIG` error naming the variable, its value and what is accepted.
 */
export function loadServerConfig(env: Env = process.env): ServerConfig {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const spec of SERVER_VARIABLES) {
    const raw = env[spec.variable]?.trim();
    const fallback = spec.default.startsWith('(') ? '' : spec.default;
    const result = spec.schema.safeParse(raw || fallback);
    if (result.success) values[spec.key] = result.data;
    else problems.push(`${spec.variable}="${raw}" is not valid: use ${spec.accepts}`);
  }
  // Node refuses a headers timeout longer than the request timeout.
  const { headersTimeoutMs, requestTimeoutMs } = values as Partial<ServerConfig>;
  if (
    headersTimeoutMs !== undefined &&
    requestTimeoutMs !== undefined &&
    headersTimeoutMs > requestTimeoutMs
  ) {
    problems.push(
      `HEADERS_TIMEOUT_MS="${headersTimeoutMs}" is not valid: use at most REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  if (problems.length > 0) {
    const noun = problems.length === 1 ? 'variable is' : `${problems.length} variables are`;
    throw new RerankerError(
      'INVALID_CONFIG',
      `Invalid configuration: ${noun} wrong: ${problems.join('; ')}.`,
      {
        details: { errors: problems },
      },
    );
  }
  return values as unknown as ServerConfig;
}

/** A complete config for tests and embedders: the defaults with some values replaced. */
export function serverConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...loadServerConfig({}), ...overrides };
}
