import { distributed } from './openapi-cluster';
import { errorResponses, OPS_UNAUTHORIZED } from './openapi-errors';
import {
  bool,
  choice,
  closed,
  int,
  json,
  nil,
  num,
  obj,
  ref,
  requestCounts,
  requestTimes,
  type Schema,
  str,
} from './openapi-parts';

const controller = obj({
  waiting: int,
  active: int,
  available_slots: int,
  max_parallel: int,
  max_queue: int,
});

const ms = { ...num, description: 'Milliseconds over the recent requests (`window_size`).' };
const rate = { ...num, minimum: 0, maximum: 1 };

/** The engine's snapshot (core's `MetricsSnapshot`): the original service's keys and this one's. */
const engineMetrics = {
  ...requestCounts({ ...rate, description: 'successful / total requests; 1 before any request.' }),
  ...requestTimes(ms),
  documents_scored: int,
  cache_hits: int,
  cache_misses: int,
  cache_hit_rate: rate,
  batches: int,
  batch_rows: { ...int, description: 'Rows (pairs) in all batches since start.' },
  batch_tokens: { ...int, description: 'Padded tokens (rows × width) in all batches since start.' },
  avg_rows_per_batch: num,
  avg_tokens_per_batch: num,
  errors_by_code: { type: 'object', additionalProperties: int },
  window_size: int,
  uptime_seconds: num,
};

const computeBudget = {
  ...closed({
    lanes: { ...int, description: 'Batches that may run at once over all models.' },
    threads_per_lane: { ...int, description: 'Threads each running batch uses.' },
    in_use: { ...int, description: 'Lanes running a batch now.' },
    waiting: { ...int, description: "Models' next batches waiting for a lane." },
    models: {
      type: 'object',
      description: 'Each loaded model by name.',
      additionalProperties: closed({
        weight: {
          ...num,
          description: 'Its share of lanes relative to the other models (models file `weight`).',
        },
        in_use: int,
        waiting: { ...int, description: 'Its next batch waiting for a lane (0 or 1).' },
        granted: { ...int, description: 'Lanes granted to it since it loaded.' },
      }),
    },
  }),
  description:
    'With several models: the compute budget they share (lanes × threads = the cores), granted fairly between them.',
};

/** The bodies of the operations routes, as `components.schemas`. */
export const opsSchemas: Record<string, Schema> = {
  Health: obj(
    {
      status: choice('healthy', 'loading', 'unhealthy'),
      reason: { ...str, description: 'Why unhealthy: "shutting down" or the load failure.' },
      controller: { anyOf: [controller, nil] },
      model: {
        anyOf: [
          obj({
            backend: str,
            source: str,
            device: str,
            cache_enabled: bool,
            cache_size: int,
            batch_size: {
              ...int,
              description: 'Pairs per model run in use (with BATCH_SIZE=auto, as measured).',
            },
            batch_size_auto: { ...bool, description: 'Whether BATCH_SIZE=auto chooses the size.' },
          }),
          nil,
        ],
      },
      distributed,
      models: {
        type: 'object',
        description: 'With several models (RERANKER_MODELS): each served model by name.',
        additionalProperties: ref('ModelHealth'),
      },
      compute_budget: ref('ComputeBudget'),
    },
    ['status', 'controller', 'model'],
  ),
  ModelHealth: obj(
    {
      state: choice('unloaded', 'loading', 'loaded', 'failed'),
      default: { ...bool, description: 'Whether requests without `model` go to it.' },
      reason: { ...str, description: 'Why its last load failed.' },
      requests: { ...int, description: 'Requests holding or waiting for the model.' },
      controller: { anyOf: [controller, nil] },
    },
    ['state', 'default', 'requests', 'controller'],
  ),
  ModelNotLoaded: obj(
    {
      model_id: str,
      loaded: { type: 'boolean', const: false },
      state: choice('unloaded', 'loading', 'failed'),
      failure: str,
      model_aliases: { type: 'array', items: str },
      max_input_length: { anyOf: [int, nil] },
      version: str,
    },
    ['model_id', 'loaded', 'state', 'version'],
  ),
  ModelList: closed({
    object: { type: 'string', const: 'list' },
    data: {
      type: 'array',
      items: closed({
        id: { ...str, description: 'The name to send in `model`.' },
        object: { type: 'string', const: 'model' },
        owned_by: str,
        kind: { ...str, description: 'cross-encoder, or the kind an LLM reranker engine reports.' },
        backend: { anyOf: [str, nil], description: 'The backend running it; null while not loaded.' },
        dtype: { anyOf: [str, nil] },
        max_length: { anyOf: [int, nil] },
        loaded: bool,
        state: choice('unloaded', 'loading', 'loaded', 'failed'),
        aliases: { type: 'array', items: str },
        default: bool,
      }),
    },
  }),
  Info: {
    ...obj(
      {
        model_id: str,
        loaded: bool,
        state: str,
        default_model: { ...str, description: 'The model answering requests without `model`.' },
        model_sha: { anyOf: [str, nil], description: 'The hub commit when known, else the revision.' },
        model_fingerprint: {
          ...str,
          description: 'SHA-256 over the loaded files (weights, config, tokenizer); part of every cache key.',
        },
        model_commit: { anyOf: [str, nil], description: 'The hub commit the files came from, when known.' },
        max_input_length: int,
        max_client_batch_size: int,
        max_batch_requests: {
          ...int,
          description: 'Pairs per model run in use (with BATCH_SIZE=auto, as measured).',
        },
        batch_size_auto: { ...bool, description: 'Whether BATCH_SIZE=auto chooses the size.' },
        auto_truncate: bool,
        version: str,
        backend: str,
        device: str,
        limits: { type: 'object' },
        model_kind: {
          ...choice('cross-encoder', 'decoder-yes-no', 'decoder-seq-cls'),
          description:
            'cross-encoder, or an LLM reranker: yes/no causal LM or its one-label seq-cls conversion.',
        },
        template: {
          anyOf: [
            closed({
              name: str,
              prefix: str,
              body: { ...str, description: 'With {instruction}, {query} and {document} slots.' },
              suffix: str,
              labels: closed({ yes: str, no: str }),
              defaultInstruction: str,
            }),
            nil,
          ],
          description:
            "LLM rerankers: the prompt template in use (RERANKER_TEMPLATE_FILE or the model's); null for a cross-encoder.",
        },
        default_instruction: {
          anyOf: [str, nil],
          description:
            "LLM rerankers: the instruction of requests without `instruction` (RERANKER_INSTRUCTION, else the template's); null for a cross-encoder.",
        },
      },
      [
        'model_id',
        'max_input_length',
        'max_client_batch_size',
        'version',
        'backend',
        'device',
        'limits',
        'model_kind',
        'template',
        'default_instruction',
      ],
    ),
    description:
      "TEI /info keys (model_id, max_input_length, max_client_batch_size, ...) plus this service's backend, device, limits and cache.",
  },
  ComputeBudget: computeBudget,
  EngineMetrics: closed(engineMetrics),
  Stats: {
    ...closed(
      {
        ...engineMetrics,
        controller,
        models: {
          type: 'object',
          description:
            'With several models (RERANKER_MODELS): the same keys per model, with its state and queue (null while not loaded).',
          additionalProperties: obj({
            ...engineMetrics,
            state: str,
            controller: { anyOf: [controller, nil] },
          }),
        },
        compute_budget: ref('ComputeBudget'),
        metrics: {
          ...ref('EngineMetrics'),
          deprecated: true,
          description:
            'The same numbers as the top level, where this server put them before; read the top level.',
        },
      },
      [...Object.keys(engineMetrics), 'controller', 'metrics'],
    ),
    description:
      "The original service's keys (total_requests, success_rate, avg_wait_time_ms, p95_wait_time_ms, ...) at the top level, with the concurrency controller beside them.",
  },
};

/** A GET operation answering JSON `schema` with 200, plus `errors` (401 always documented). */
function getJson(operationId: string, summary: string, schema: Schema, errors: Schema = {}): Schema {
  return {
    get: {
      operationId,
      tags: ['operations'],
      summary,
      responses: { '200': json(schema, 'ok'), ...errorResponses(OPS_UNAUTHORIZED), ...errors },
    },
  };
}

/** `operation` (one GET) with a query parameter. */
function withQuery(operation: Schema, parameter: Schema): Schema {
  const get = operation.get as Schema;
  return { get: { ...get, parameters: [parameter] } };
}

const text = { 'text/plain': { schema: str } };
const loading = errorResponses({ '503': [['native'], 'the model is still loading, or failed to load'] });

/** Health, readiness, info, metrics and this document. */
export const opsPaths: Record<string, Schema> = {
  '/health': getJson(
    'getHealth',
    'The original health report: 200 healthy, 503 loading or unhealthy',
    ref('Health'),
    {
      '503': json(ref('Health'), 'loading, failed or shutting down (the same body)'),
    },
  ),
  '/healthz': getJson(
    'getLiveness',
    'Liveness: 200 while the process runs',
    obj({ status: { type: 'string', const: 'alive' } }),
  ),
  '/readyz': getJson(
    'getReadiness',
    'Readiness: 200 once the model is loaded, 503 otherwise (and while draining)',
    obj({ status: { type: 'string', const: 'ready' } }),
    {
      '503': json(
        obj({ status: choice('loading', 'warming', 'draining', 'failed') }),
        'not ready: loading, warming, draining or failed',
      ),
    },
  ),
  '/info': withQuery(
    getJson(
      'getInfo',
      'The default model, or `?model=`, and the limits',
      { anyOf: [ref('Info'), ref('ModelNotLoaded')] },
      { ...loading, ...errorResponses({ '404': [['native'], '`model` names no served model'] }) },
    ),
    {
      name: 'model',
      in: 'query',
      required: false,
      description: 'A served model name or alias (default: the default model).',
      schema: str,
    },
  ),
  '/v1/models': {
    get: {
      operationId: 'listModels',
      tags: ['rerank'],
      summary: 'The served models, OpenAI-style (never loads one)',
      responses: {
        '200': json(ref('ModelList'), 'ok'),
        ...errorResponses({ '401': [['cohere'], 'a key is required'] }),
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      tags: ['operations'],
      summary: 'Engine metrics as JSON; Prometheus text when Accept prefers text/plain or OpenMetrics',
      responses: {
        '200': { description: 'ok', content: { 'application/json': { schema: ref('Stats') }, ...text } },
        ...errorResponses(OPS_UNAUTHORIZED),
        ...loading,
      },
    },
  },
  '/metrics/prometheus': {
    get: {
      operationId: 'getPrometheusMetrics',
      tags: ['operations'],
      summary: 'Prometheus text exposition',
      responses: { '200': { description: 'ok', content: text }, ...errorResponses(OPS_UNAUTHORIZED) },
    },
  },
  '/openapi.json': getJson('getOpenapi', 'This document', { type: 'object' }),
};
