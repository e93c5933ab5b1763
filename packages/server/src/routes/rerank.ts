import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { Flavour } from '../errors';
import { type RerankDeps, tag } from '../execute';
import { type BodyReader, parseJson } from '../middleware/json-body';
import { cohereRerank } from './cohere';
import { nativeRerank } from './native';
import { teiRerank } from './tei';

/**
 * Which API a plain `POST /rerank` body speaks, from its top-level keys: `texts` -> TEI; `top_n` or
 * `model` without `top_k` -> Cohere/Jina (clients whose base URL is the server root, Infinity-style);
 * anything else -> the original native API.
 */
export function flavourOfKeys(keys: ReadonlySet<string>): Flavour {
  if (keys.has('texts')) return 'tei';
  if (!keys.has('top_k') && (keys.has('top_n') || keys.has('model'))) return 'cohere';
  return 'native';
}

/** `flavourOfKeys` of a parsed body (not an object: native). */
export function flavourOf(body: unknown): Flavour {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'native';
  return flavourOfKeys(new Set(Object.keys(body)));
}

/** `POST /rerank`: native, TEI or Cohere-shaped, told apart by the body (see `flavourOfKeys`). */
export function rerankRoute(deps: RerankDeps, body: BodyReader): Router {
  const router = Router();
  router.post('/rerank', tag('/rerank'), decideFlavour(deps, body), (req: Request, res: Response) => {
    const flavour: Flavour = res.locals.flavour;
    if (flavour === 'tei') return teiRerank(deps, req, res);
    if (flavour === 'cohere') return cohereRerank(deps, req, res, '1');
    return nativeRerank(deps, req, res);
  });
  return router;
}

/**
 * Decides the flavour before anything can fail, so every error has the shape of the API the request
 * speaks. The checks that need no body run first (API key, content type and coding, declared size,
 * queue full); a refused request has only the first 64 KiB of its body scanned for its keys, never
 * parsed. Otherwise the body is read once, its keys scanned as it arrives, and parsed once.
 */
function decideFlavour(deps: RerankDeps, body: BodyReader): RequestHandler {
  return async (req, res, next) => {
    const denied = await authError(deps.auth, req, res);
    const checked = body.check(req);
    const refused = denied ?? checked.error;
    if (refused) {
      const scan = await body.peek(req, checked.encoding);
      res.locals.flavour = flavourOfKeys(scan.topLevelKeys);
      return next(refused);
    }
    const read = await body.read(req, res, checked.encoding);
    res.locals.flavour = flavourOfKeys(read.scan.topLevelKeys);
    req.body = parseJson(read);
    next();
  };
}

/** What an express auth middleware passes to `next`: an error when the request is refused. */
function authError(auth: RequestHandler, req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  return new Promise((resolve, reject) => {
    try {
      auth(req as Request, res as Response, (error?: unknown) => resolve(error));
    } catch (error) {
      reject(error);
    }
  });
}
