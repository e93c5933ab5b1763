import { type RequestHandler, Router } from 'express';
import { openapiDocument } from '../openapi-document';

/** `GET /openapi.json`: the OpenAPI 3.1 description of every route. */
export function openapiRoutes({ auth }: { auth: RequestHandler }): Router {
  const router = Router();
  const document = openapiDocument();
  router.get(
    '/openapi.json',
    (_req, res, next) => {
      res.locals.route = '/openapi.json';
      next();
    },
    auth,
    (_req, res) => {
      res.json(document);
    },
  );
  return router;
}
