import { distributed } from './openapi-cluster';
import { errorResponses, OPS_UNAUTHORIZED } from './openapi-errors';
import { bool, choice, int, json, nil, obj, ref, type Schema, str } from './openapi-parts';

const controller = obj({
  waiting: int,
  active: int,
  available_slots: int,
  max_parallel: int,
  max_queue: int,
});

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
      },
      ['model_id', 'max_input_length', 'max_client_batch_size', 'version', 'backend', 'device', 'limits'],
    ),
    description:
      "TEI /info keys (model_id, max_input_length, max_client_batch_size, ...) plus this service's backend, device, limits and cache.",
  },
  Stats: obj({ controller, metrics: { type: 'object' } }),
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
