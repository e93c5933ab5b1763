import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { PinoLogger } from '../logger';
import type { ServerMetrics } from '../metrics/prometheus';
import { requestId } from './request-id';

/** What a route leaves in `res.locals` for the request's log line and metrics. */
export interface RequestFacts {
  route?: string;
  flavour?: string;
  documents?: number;
  queueMs?: number;
  inferenceMs?: number;
  errorCode?: string;
}

const round = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1000) / 1000);

function facts(res: ServerResponse): Record<string, unknown> {
  const locals = ((res as unknown as { locals?: RequestFacts }).locals ?? {}) as RequestFacts;
  const props: Record<string, unknown> = {
    route: locals.route,
    flavour: locals.flavour,
    documents: locals.documents,
    queue_ms: round(locals.queueMs),
    inference_ms: round(locals.inferenceMs),
    error_code: locals.errorCode,
  };
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined));
}

/**
 * One log line per request (pino-http): request id (`x-request-id` honoured and returned), method,
 * url, status, response time, and what the route recorded: route, documents, queue and inference ms.
 * Also counts the request in the Prometheus metrics when it ends, answered or abandoned.
 */
export function requestLogging(logger: PinoLogger, metrics: ServerMetrics): RequestHandler[] {
  const http = pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    genReqId: requestId,
    quietReqLogger: true,
    customProps: (_req, res) => facts(res),
    // A client that left is not a server error; 4xx are the client's, 5xx ours.
    customLogLevel: (_req, res, error) => {
      if (!res.writableFinished) return 'warn';
      if (res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return error ? 'error' : 'info';
    },
    customSuccessMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode}`,
    customErrorMessage: (req, res) =>
      `${req.method} ${req.url} ${res.writableFinished ? res.statusCode : 'aborted'}`,
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  const count: RequestHandler = (req, res, next) => {
    const start = performance.now();
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 499;
      metrics.recordHttp(res.locals.route ?? 'other', req.method, status, performance.now() - start);
    });
    next();
  };
  return [http as unknown as RequestHandler, count];
}
