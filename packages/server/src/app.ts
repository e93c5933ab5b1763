import type { UnifiedReRanker } from '@reranker/core';
import type { GlobalLimits, RerankerConfig, ServerRegistry } from '@reranker/node';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { ServerConfig } from './config';
import { type Flavour, flavourOfPath, HttpError, sendError } from './errors';
import { createLogger, engineLogger, type PinoLogger } from './logger';
import { ServerMetrics } from './metrics/prometheus';
import { Admission } from './middleware/admission';
import { requireApiKey } from './middleware/auth';
import { BodyReader } from './middleware/json-body';
import { requestLogging } from './middleware/logging';
import { leaveUnreadBody } from './middleware/unread-body';
import { ModelNames } from './models/names';
import { ModelRegistry } from './models/registry';
import { clusterMetricsRoutes } from './routes/cluster-metrics';
import { cohereRoutes } from './routes/cohere';
import { dashboardRoutes } from './routes/dashboard';
import { modelsRoutes } from './routes/models';
import { openapiRoutes } from './routes/openapi';
import { opsRoutes } from './routes/ops';
import { rerankRoute } from './routes/rerank';
import { Service } from './service';

export interface CreateAppOptions {
  /**
   * The engine of the one model, or a promise of it: routes answer 503 "loading" until it resolves.
   * Give either this or `models`.
   */
  reranker?: UnifiedReRanker | Promise<UnifiedReRanker>;
  /** Several models (see `ModelRegistry.of`); the app loads the preloaded ones and disposes all at shutdown. */
  models?: ModelRegistry;
  config: ServerConfig;
  /** Request and lifecycle logs. @default pino at `config.logLevel` on stdout */
  logger?: PinoLogger;
  /** Prometheus metrics (pass one to instrument backends before the reranker exists). @default a new registry */
  metrics?: ServerMetrics;
  /** The engine's settings, shown by /info. */
  engine?: Partial<RerankerConfig>;
  /** Distributed mode's server registry, for /health and GET /cluster (started and stopped by the caller). */
  registry?: ServerRegistry;
  /**
   * Cluster-wide limits (GLOBAL_MAX_PARALLEL, GLOBAL_RATE_LIMIT_RPS) every rerank request passes before
   * the local queue; created and disposed by the caller.
   */
  limits?: GlobalLimits;
}

/** The express app plus its lifecycle, for the bin (shutdown) and tests (`await app.service.ready`). */
export type RerankerApp = Express & { readonly service: Service; readonly metrics: ServerMetrics };

/**
 * The HTTP API as an express 5 app, without listening: the bin and the tests listen on it.
 * Routes: native/TEI `POST /rerank`, Cohere/Jina `POST /v1/rerank` and `/v2/rerank`, `GET /health`,
 * `/healthz`, `/readyz`, `/info`, `/metrics`, `/metrics/prometheus`, `/openapi.json`, `/dashboard` (unless
 * `DASHBOARD=false`), and in distributed mode `/cluster` and `/metrics/cluster`.
 */
export function createApp(options: CreateAppOptions): RerankerApp {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = options.metrics ?? new ServerMetrics();
  const models =
    options.models ??
    ModelRegistry.single(
      options.reranker ??
        Promise.reject(new Error('createApp needs `reranker` or `models`: neither was given.')),
      { logger: engineLogger(logger), warmup: config.warmupOnStart },
    );
  const service = new Service({ models, logger: engineLogger(logger) });
  metrics.attachModels(models);
  service.ready
    .then(() => {
      const workers = service.info?.backendDetails.workers;
      if (!models.multi && typeof workers === 'number') metrics.workersHint(workers);
    })
    .catch(() => {});
  const names = new ModelNames(models, config);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  app.use(requestLogging(logger, metrics));
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
        exposedHeaders: ['x-request-id', 'x-queue-time', 'x-inference-time', 'x-total-time', 'retry-after'],
      }),
    );
  }
  app.use(closeWhileDraining(service));
  const apiAuth = requireApiKey(config.apiKeys);
  const opsAuth = config.metricsRequireAuth ? apiAuth : pass;
  const body = new BodyReader(config, new Admission(service));
  const deps = { service, config, metrics, names, json: body.json, auth: apiAuth, limits: options.limits };
  app.use(
    opsRoutes({
      service,
      config,
      metrics,
      engine: options.engine,
      auth: opsAuth,
      registry: options.registry,
      limits: options.limits,
      names,
    }),
  );
  app.use(
    clusterMetricsRoutes({
      auth: opsAuth,
      registry: options.registry,
      targetUtilization: config.scaleTargetUtilization,
    }),
  );
  app.use(openapiRoutes({ auth: opsAuth }));
  if (config.dashboard) {
    app.use(
      dashboardRoutes({ service, metrics, auth: opsAuth, distributed: options.registry !== undefined }),
    );
  }
  app.use(modelsRoutes({ models, engine: options.engine, auth: apiAuth }));
  app.use(rerankRoute(deps, body));
  app.use(cohereRoutes(deps));
  app.use((req, _res, next) => {
    next(new HttpError(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}; see GET /openapi.json.`));
  });
  app.use(errorHandler(logger));
  return Object.assign(app, { service, metrics });
}

const pass: RequestHandler = (_req, _res, next) => next();

/** While draining, tell keep-alive clients to reconnect (to another instance) after this response. */
function closeWhileDraining(service: Service): RequestHandler {
  return (_req, res, next) => {
    if (service.phase === 'draining') res.set('connection', 'close');
    next();
  };
}

/**
 * Every error ends here and leaves through `sendError`, in the flavour the route chose; a large body
 * the answer did not need is left unread and its connection closed (`leaveUnreadBody`).
 */
function errorHandler(logger: PinoLogger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const flavour: Flavour = res.locals.flavour ?? flavourOfPath(req.path);
    leaveUnreadBody(req, res);
    const response = sendError(res, error, flavour);
    if (response.status >= 500 && response.code === 'INTERNAL') {
      logger.error({ err: error, reqId: res.locals.reqId }, 'unexpected error');
    }
  };
}
