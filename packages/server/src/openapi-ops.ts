import { distributed } from './openapi-cluster';
import { errorResponses, OPS_UNAUTHORIZED } from './openapi-errors';
import { bool, choice, closed, int, json, nil, num, obj, ref, type Schema, str } from './openapi-parts';

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
  total_requests: int,
  successful_requests: int,
  failed_requests: int,
  success_rate: { ...rate, description: 'successful / total requests; 1 before any request.' },
  avg_wait_time_ms: ms,
  avg_process_time_ms: ms,
  p50_wait_time_ms: ms,
  p95_wait_time_ms: ms,
  p99_wait_time_ms: ms,
  p50_process_time_ms: ms,
  p95_process_time_ms: ms,
  p99_process_time_ms: ms,
  documents_scored: int,
  cache_hits: int,
  cache_misses: int,
  cache_hit_rate: rate,
  batches: int,
  avg_rows_per_batch: num,
  avg_tokens_per_batch: num,
  errors_by_code: { type: 'object', additionalProperties: int },
  window_size: int,
  uptime_seconds: num,
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
    },
    ['status', 'controller', 'model'],
  ),
  Info: {
    ...obj(
      {
        model_id: str,
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
  EngineMetrics: closed(engineMetrics),
  Stats: {
    ...closed({
      ...engineMetrics,
      controller,
      metrics: {
        ...ref('EngineMetrics'),
        deprecated: true,
        description:
          'The same numbers as the top level, where this server put them before; read the top level.',
      },
    }),
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
  '/info': getJson('getInfo', 'The model and the limits', ref('Info'), loading),
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
