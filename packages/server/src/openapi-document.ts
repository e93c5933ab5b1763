import { clusterPaths, clusterSchemas } from './openapi-cluster';
import { errorSchemas } from './openapi-errors';
import { opsPaths, opsSchemas } from './openapi-ops';
import type { Schema } from './openapi-parts';
import { rerankPaths, rerankSchemas } from './openapi-rerank';
import { VERSION } from './version';

/**
 * The OpenAPI 3.1 description of every route, served at GET /openapi.json. Request schemas come from
 * the zod schemas the routes validate with; error bodies are the shapes `toErrorResponse` writes.
 * The server URL is relative, so the document stays right behind a proxy or on any port.
 */
export function openapiDocument(): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'reranker',
      version: VERSION,
      description: 'Cross-encoder reranking: native, Cohere v1/v2, Jina and Hugging Face TEI APIs.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'This server (the URL this document was fetched from).' }],
    security: [{ bearerAuth: [] }, {}],
    tags: [
      { name: 'rerank', description: 'Scoring: the native, TEI, Cohere and Jina APIs.' },
      { name: 'operations', description: 'Health, readiness, model info, metrics and this document.' },
      {
        name: 'cluster',
        description: 'Distributed mode (ENABLE_DISTRIBUTED=true): the servers sharing Redis.',
      },
    ],
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            '`Authorization: Bearer <key>` with one of API_KEYS. Without API_KEYS no key is needed; the operations routes need one only with METRICS_REQUIRE_AUTH=true.',
        },
      },
      schemas: { ...rerankSchemas, ...errorSchemas, ...opsSchemas, ...clusterSchemas },
    },
    paths: { ...rerankPaths, ...opsPaths, ...clusterPaths },
  };
}
