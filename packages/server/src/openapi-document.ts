import { z } from 'zod';
import { clusterPaths, distributed } from './openapi-cluster';
import { arr, errorBodies, int, json, num, obj, type Schema, str } from './openapi-parts';
import { cohereRequest } from './routes/cohere';
import { nativeRequest } from './routes/native';
import { teiRequest } from './routes/tei';
import { VERSION } from './version';

/** Request schemas come from the zod schemas the routes validate with, so they cannot drift. */
const fromZod = (schema: z.ZodType): Schema => {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  return json;
};

const controller = obj({
  waiting: int,
  active: int,
  available_slots: int,
  max_parallel: int,
  max_queue: int,
});
const cohereResponse = obj(
  {
    id: str,
    model: str,
    results: arr(
      obj({ index: int, relevance_score: num, document: obj({ text: str }) }, ['index', 'relevance_score']),
    ),
    meta: obj({ api_version: obj({ version: str }), billed_units: obj({ search_units: int }) }),
    usage: obj({ total_tokens: int }),
  },
  ['id', 'model', 'results', 'meta', 'usage'],
);

function errors(flavour: keyof typeof errorBodies, statuses: Record<string, string>): Schema {
  return Object.fromEntries(
    Object.entries(statuses).map(([status, what]) => [status, json(errorBodies[flavour], what)]),
  );
}

const RERANK_ERRORS = {
  '400': 'malformed JSON (TEI: empty texts; Cohere: invalid input)',
  '401': 'missing or wrong API key (when API_KEYS is set)',
  '413': 'body over BODY_LIMIT, or more documents than MAX_DOCUMENTS_PER_REQUEST (TEI: 422)',
  '422': 'invalid input, naming the field (native, TEI)',
  '503':
    'overloaded (queue full or queue timeout, locally or for a GLOBAL_MAX_PARALLEL lease; over GLOBAL_RATE_LIMIT_RPS: RATE_LIMITED; all with Retry-After), loading or shutting down',
  '504': 'inference took longer than WORKER_TIMEOUT',
};

const cohereOperation = (version: '1' | '2'): Schema => ({
  post: {
    summary: `Cohere v${version}${version === '1' ? ' and Jina' : ''} rerank`,
    description:
      'Long documents are split into chunks (max_chunks_per_doc, default 10; max_tokens_per_doc, default 4096 on v2); a document scores as its best chunk. `model` may be any name unless STRICT_MODEL_NAMES=true (then unknown names get 404); the response names the model that ran.' +
      (version === '1'
        ? ' Documents are returned by default (as Jina does).'
        : ' Documents are returned only with return_documents: true.'),
    security: [{ bearer: [] }, {}],
    requestBody: { required: true, content: { 'application/json': { schema: fromZod(cohereRequest) } } },
    responses: {
      '200': json(cohereResponse, 'results best first'),
      '404': json(errorBodies.cohere, 'unknown model with STRICT_MODEL_NAMES=true'),
      ...errors('cohere', RERANK_ERRORS),
    },
  },
});

/** The OpenAPI 3.1 description of every route, served at GET /openapi.json. */
export function openapiDocument(): Schema {
  const plain = (summary: string, schema: Schema, extra: Schema = {}): Schema => ({
    get: { summary, responses: { '200': json(schema, 'ok'), ...extra } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'reranker',
      version: VERSION,
      description: 'Cross-encoder reranking: native, Cohere v1/v2, Jina and Hugging Face TEI APIs.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/rerank': {
        post: {
          summary: 'Native or TEI rerank (Cohere-shaped when the body has top_n or model and no top_k)',
          description:
            'A body with `texts` is a TEI request (bare array response, TEI error bodies); a body with `top_n` or `model` and no `top_k` is answered as POST /v1/rerank; anything else is the native API.',
          security: [{ bearer: [] }, {}],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { oneOf: [fromZod(nativeRequest), fromZod(teiRequest), fromZod(cohereRequest)] },
              },
            },
          },
          responses: {
            '200': json(
              {
                oneOf: [
                  obj({
                    results: arr(
                      obj({ index: int, document: {}, score: num, relevance_score: num }, [
                        'index',
                        'score',
                        'relevance_score',
                      ]),
                    ),
                    processing_time_ms: num,
                  }),
                  arr(obj({ index: int, score: num, text: str }, ['index', 'score'])),
                  cohereResponse,
                ],
              },
              'native: results best first; TEI: a bare array best first; Cohere shape as /v1/rerank',
            ),
            ...errors('native', RERANK_ERRORS),
          },
        },
      },
      '/v1/rerank': cohereOperation('1'),
      '/v2/rerank': cohereOperation('2'),
      '/health': plain(
        'The original health report: 200 healthy, 503 loading or unhealthy',
        obj(
          {
            status: { enum: ['healthy', 'loading', 'unhealthy'] },
            controller: { oneOf: [controller, { type: 'null' }] },
            model: {
              oneOf: [
                obj({
                  backend: str,
                  source: str,
                  device: str,
                  cache_enabled: { type: 'boolean' },
                  cache_size: int,
                }),
                { type: 'null' },
              ],
            },
            distributed,
          },
          ['status', 'controller', 'model'],
        ),
        { '503': { description: 'loading, failed or shutting down (same body)' } },
      ),
      '/healthz': plain('Liveness: 200 while the process runs', obj({ status: { const: 'alive' } })),
      '/readyz': plain(
        'Readiness: 200 once the model is loaded and warmed, 503 otherwise (and while draining)',
        obj({ status: str }),
        {
          '503': { description: 'not ready: loading, warming, draining or failed' },
        },
      ),
      '/info': plain(
        'Model and limits, with TEI /info keys (model_id, max_input_length, max_client_batch_size, ...)',
        { type: 'object' },
      ),
      '/metrics': {
        get: {
          summary: 'Engine metrics as JSON; Prometheus text when Accept prefers text/plain or OpenMetrics',
          responses: {
            '200': {
              description: 'ok',
              content: {
                'application/json': { schema: obj({ controller, metrics: { type: 'object' } }) },
                'text/plain': { schema: str },
              },
            },
          },
        },
      },
      '/metrics/prometheus': {
        get: {
          summary: 'Prometheus text exposition',
          responses: { '200': { description: 'ok', content: { 'text/plain': { schema: str } } } },
        },
      },
      ...clusterPaths(plain),
      '/openapi.json': plain('This document', { type: 'object' }),
    },
  };
}
