import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { PinoLogger } from '../logger';
import type { ServerMetrics } from '../metrics/prometheus';
import { requestId } from './request-id';

/** What a route leaves in `res.locals` for the request's log line and metrics. */
export interface RequestFacts {
  /** The request's id (set by the logging middleware, first). */
  reqId?: string;
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
 * One log line per request when it ends: request id (`x-request-id` honoured and returned), method,
 * url, status, response time, and what the route recorded: route, documents, queue and inference ms.
 * 4xx and requests the client left are logged at warn, 5xx at error. Also counts the request in the
 * Prometheus metrics, answered or abandoned.
 *
 * Written here rather than with pino-http, whose per-request child loggers (three, serializing the
 * request each time, even when the level is off) were a third of the main thread's work per request
 * under a flood of refusals; this does one pino call per request, and none when the level is off.
 */
export function requestLogging(logger: PinoLogger, metrics: ServerMetrics): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    const reqId = requestId(req, res);
    res.locals.reqId = reqId;
    res.once('close', () => {
      const ms = performance.now() - start;
      const finished = res.writableFinished;
      const status = res.statusCode;
      metrics.recordHttp(res.locals.route ?? 'other', req.method, finished ? status : 499, ms);
      // A client that left is not a server error; 4xx are the client's, 5xx ours.
      const level = !finished ? 'warn' : status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const url = req.originalUrl ?? req.url;
      logger[level](
        {
          reqId,
          req: { method: req.method, url },
          ...facts(res),
          res: { statusCode: status },
          responseTime: Math.round(ms),
        },
        `${req.method} ${url} ${finished ? status : 'aborted'}`,
      );
    });
    next();
  };
}
