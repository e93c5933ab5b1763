import type { RerankerConfig } from '@reranker/node';
import { type RequestHandler, Router } from 'express';
import type { ModelRegistry } from '../models/registry';

export interface ModelsDeps {
  models: ModelRegistry;
  /** The engine's settings: the dtype and max length of a model not loaded yet. */
  engine?: Partial<RerankerConfig>;
  /** The rerank routes' API key check (clients list models with the key they rerank with). */
  auth: RequestHandler;
}

/**
 * `GET /v1/models`: the served models as an OpenAI-style list, `{ object: 'list', data: [{ id,
 * object: 'model', kind, backend, dtype, max_length, loaded, state, aliases, default }] }`. Reads
 * only what the registry holds: it never loads a model.
 */
export function modelsRoutes(deps: ModelsDeps): Router {
  const router = Router();
  router.get(
    '/v1/models',
    (_req, res, next) => {
      res.locals.route = '/v1/models';
      res.locals.flavour = 'cohere';
      next();
    },
    deps.auth,
    (_req, res) => {
      const { models, engine } = deps;
      res.json({
        object: 'list',
        data: models.entries.map((e) => {
          const info = e.info as (typeof e.info & { kind?: string }) | undefined;
          return {
            id: e.name,
            object: 'model',
            owned_by: 'reranker',
            // Encoders with a classification head; an LLM reranker's engine reports its own kind.
            kind: info?.kind ?? 'cross-encoder',
            backend: e.reranker ? (info?.backend ?? null) : null,
            dtype: info?.dtype ?? e.spec.dtype ?? engine?.dtype ?? null,
            max_length: info?.maxLength ?? e.spec.maxLength ?? engine?.maxLength ?? null,
            loaded: e.state === 'loaded' || (!models.multi && e.reranker !== undefined),
            state: e.state,
            aliases: e.spec.aliases,
            default: e === models.defaultEntry,
          };
        }),
      });
    },
  );
  return router;
}
