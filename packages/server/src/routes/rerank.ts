import { type Request, type Response, Router } from 'express';
import type { Flavour } from '../errors';
import { type RerankDeps, tag } from '../execute';
import { cohereRerank } from './cohere';
import { nativeRerank } from './native';
import { teiRerank } from './tei';

/**
 * Which API a plain `POST /rerank` body speaks: `texts` -> TEI; `top_n` or `model` without `top_k`
 * -> Cohere/Jina (clients whose base URL is the server root, Infinity-style); anything else -> the
 * original native API.
 */
export function flavourOf(body: unknown): Flavour {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'native';
  const fields = body as Record<string, unknown>;
  if ('texts' in fields) return 'tei';
  if (!('top_k' in fields) && ('top_n' in fields || 'model' in fields)) return 'cohere';
  return 'native';
}

/** `POST /rerank`: native, TEI or Cohere-shaped, told apart by the body (see `flavourOf`). */
export function rerankRoute(deps: RerankDeps): Router {
  const router = Router();
  router.post('/rerank', tag('/rerank'), deps.auth, deps.json, (req: Request, res: Response) => {
    const flavour = flavourOf(req.body);
    res.locals.flavour = flavour;
    if (flavour === 'tei') return teiRerank(deps, req, res);
    if (flavour === 'cohere') return cohereRerank(deps, req, res, '1');
    return nativeRerank(deps, req, res);
  });
  return router;
}
