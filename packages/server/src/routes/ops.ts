import {
  distributedStatus,
  type GlobalLimits,
  type RerankerConfig,
  type ServerRegistry,
  type SizeSample,
} from '@reranker/node';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { ServerConfig } from '../config';
import { HttpError } from '../errors';
import { modelBlocks } from '../metrics/model-blocks';
import type { ServerMetrics } from '../metrics/prometheus';
import { computeBudgetJson } from '../models/compute';
import type { ModelEntry } from '../models/entry';
import type { ModelNames } from '../models/names';
import type { ModelRegistry } from '../models/registry';
import type { Service } from '../service';
import { VERSION } from '../version';
import { liveServers } from './cluster-metrics';

export interface OpsDeps {
  service: Service;
  config: ServerConfig;
  metrics: ServerMetrics;
  /** Engine settings, for /info (batch limits are not part of `info()`). */
  engine?: Partial<RerankerConfig>;
  /** Auth for these routes (a no-op unless METRICS_REQUIRE_AUTH is set). */
  auth: RequestHandler;
  /** The cluster's server registry in distributed mode: /health counts it, /cluster lists it. */
  registry?: ServerRegistry;
  /** Cluster-wide limits, shown by /health in distributed mode. */
  limits?: GlobalLimits;
  /** Resolves `/info?model=`. */
  names: ModelNames;
}

const label =
  (route: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.route = route;
    next();
  };

/** Health, readiness, info and metrics: what operators and load balancers poll. */
export function opsRoutes(deps: OpsDeps): Router {
  const { service, auth } = deps;
  const router = Router();
  router.get('/healthz', label('/healthz'), auth, (_req, res) => {
    res.json({ status: 'alive' });
  });
  router.get('/readyz', label('/readyz'), auth, (_req, res) => {
    const ready = service.phase === 'ready';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : service.phase });
  });
  router.get('/health', label('/health'), auth, (_req, res) => health(deps, res));
  router.get('/info', label('/info'), auth, (req, res) => info(deps, req, res));
  router.get('/cluster', label('/cluster'), auth, (_req, res) => cluster(deps, res));
  router.get('/metrics', label('/metrics'), auth, (req, res) => metrics(deps, req, res));
  router.get('/metrics/prometheus', label('/metrics/prometheus'), auth, async (_req, res) => {
    const { contentType, body } = await deps.metrics.text();
    res.type(contentType).send(body);
  });
  return router;
}

/**
 * The original service's /health: 200 "healthy" when serving, 503 "loading" or "unhealthy". In
 * distributed mode it adds `distributed`; a degraded Redis keeps the server healthy (it serves on
 * its own). `servers` counts the live servers of the registry (null without one, or when Redis is down);
 * `global_limits` shows the cluster limits and their own Redis health (degraded: local limits only).
 * Load balancers poll this on every server, so it costs O(1) whatever Redis holds: `cache_size` is this
 * server's memory tier, `shared_cache` the last background count of the Redis entries (see
 * `REDIS_SIZE_SAMPLE_MS`), and the registry answers with two commands (SMEMBERS, MGET), never a SCAN.
 */
async function health({ service, registry, limits }: OpsDeps, res: Response): Promise<void> {
  const reranker = service.reranker;
  const models = service.models;
  const status =
    service.phase === 'ready' || service.phase === 'warming'
      ? 'healthy'
      : service.phase === 'loading'
        ? 'loading'
        : 'unhealthy';
  const info =
    reranker && service.phase !== 'failed' ? await reranker.info().catch(() => undefined) : undefined;
  const distributed = reranker ? distributedStatus(reranker) : undefined;
  const servers =
    distributed?.enabled && registry
      ? await registry.list().then(
          (list) => list.length,
          () => null,
        )
      : null;
  res.status(status === 'healthy' ? 200 : 503).json({
    status,
    ...(status === 'unhealthy' && {
      reason: service.phase === 'draining' ? 'shutting down' : service.failure,
    }),
    controller: models.global?.stats() ?? (reranker ? reranker.stats().controller : null),
    ...(models.multi && { models: modelStates(models) }),
    ...computeBlock(models),
    model: info
      ? {
          backend: info.backend,
          source: info.source,
          device: info.device,
          cache_enabled: info.cacheEnabled,
          cache_size: info.cacheSize ?? 0,
          batch_size: info.batchSize,
          batch_size_auto: info.batchSizeAuto,
        }
      : null,
    ...(distributed?.enabled && {
      distributed: {
        enabled: true,
        redis: distributed.redis,
        servers,
        shared_cache: sharedCache(distributed.sharedCache),
        ...(limits && {
          global_limits: {
            max_parallel: limits.maxParallel,
            rate_limit_rps: limits.rateLimitRps,
            redis: limits.status(),
          },
        }),
      },
    }),
  });
}

/** The shared cache's last background count, in the API's snake case (null before the first). */
function sharedCache(sample: SizeSample | null): { keys: number; sampled_at: string } | null {
  return sample ? { keys: sample.keys, sampled_at: sample.sampledAt } : null;
}

/** The live servers of the cluster, from the registry. */
async function cluster({ registry }: OpsDeps, res: Response): Promise<void> {
  const servers = await liveServers(registry, 'the cluster cannot be listed');
  res.json({ self: registry?.id, servers });
}

/**
 * TEI's /info keys (model_id, max_input_length, …) plus this service's backend, device and limits, of
 * the default model or of `?model=` (a served name or alias; anything else is 404). A model not loaded
 * is not loaded for this: its state and limits are shown.
 */
async function info({ service, config, engine, names }: OpsDeps, req: Request, res: Response): Promise<void> {
  const entry =
    typeof req.query.model === 'string' ? served(names, req.query.model) : service.models.defaultEntry;
  const models = service.models;
  if (models.multi && !entry.reranker) {
    res.json({
      model_id: entry.name,
      loaded: false,
      state: entry.state,
      ...(entry.failure !== undefined && { failure: entry.failure }),
      model_aliases: entry.spec.aliases,
      max_input_length: entry.info?.maxLength ?? entry.spec.maxLength ?? null,
      version: VERSION,
    });
    return;
  }
  const reranker = models.multi ? entry.reranker! : service.loaded();
  const info = await reranker.info();
  const controller = reranker.stats().controller;
  res.json({
    model_id: entry.name,
    loaded: true,
    state: entry.state,
    // TEI's model_sha is the commit; a branch name is all there is when the hub did not say.
    model_sha: info.commit ?? info.revision,
    model_fingerprint: info.fingerprint,
    model_commit: info.commit ?? null,
    model_dtype: info.dtype,
    model_type: { reranker: { num_labels: info.numLabels } },
    max_concurrent_requests: controller.max_parallel + controller.max_queue,
    max_input_length: info.maxLength,
    max_batch_tokens: engine?.maxBatchTokens ?? null,
    // The size in use: with BATCH_SIZE=auto, the one the engine measured.
    max_batch_requests: info.batchSize,
    batch_size_auto: info.batchSizeAuto,
    max_client_batch_size: config.maxDocumentsPerRequest,
    auto_truncate: true,
    version: VERSION,
    backend: info.backend,
    device: info.device,
    source: info.source,
    dtype: info.dtype,
    max_length: info.maxLength,
    max_query_tokens: info.maxQueryTokens,
    truncation: info.truncation,
    num_labels: info.numLabels,
    // LLM rerankers: what the prompt is and which instruction a request without one gets.
    model_kind: info.kind,
    template: reranker.template ?? null,
    default_instruction: info.defaultInstruction ?? null,
    model_aliases: models.multi ? entry.spec.aliases : config.modelAliases,
    default_model: models.defaultEntry.name,
    strict_model_names: config.strictModelNames,
    limits: {
      body_limit_bytes: config.bodyLimitBytes,
      max_documents_per_request: config.maxDocumentsPerRequest,
      max_parallel: controller.max_parallel,
      max_queue: controller.max_queue,
      queue_timeout_ms: engine?.queueTimeoutMs ?? null,
      worker_timeout_ms: engine?.workerTimeoutMs ?? null,
      max_json_depth: config.maxJsonDepth,
      request_timeout_ms: config.requestTimeoutMs,
      headers_timeout_ms: config.headersTimeoutMs,
    },
    cache: {
      enabled: info.cacheEnabled,
      size: info.cacheSize ?? 0,
      shared: sharedCache(distributedStatus(reranker).sharedCache),
    },
    backend_fallbacks: info.backendFallbacks,
  });
}

/** The original's flat JSON by default; Prometheus text when `Accept` prefers text/plain or OpenMetrics. */
async function metrics({ service, metrics }: OpsDeps, req: Request, res: Response): Promise<void> {
  if (prefersText(req.get('accept'))) {
    const { contentType, body } = await metrics.text();
    res.type(contentType).send(body);
    return;
  }
  const models = service.models;
  // With one model its engine's own snapshot, as before; with several, the server's, over all models.
  const { controller, metrics: snapshot } = models.multi
    ? { controller: models.global!.stats(), metrics: models.stats.snapshot() }
    : service.loaded().stats();
  const perModel = modelBlocks(models);
  // The original's keys at the top level (its scripts read `jq '.total_requests'`), for the whole
  // server; with several models `models` has the same keys per model; `metrics` keeps the nested copy
  // this server sent before.
  res.json({
    ...snapshot,
    controller,
    ...(models.multi && { models: perModel }),
    ...computeBlock(models),
    metrics: snapshot,
  });
}

/** `compute_budget`: the lanes the models share, held and waited for by each (several models only). */
function computeBlock(models: ModelRegistry) {
  const budget = models.computeBudget;
  return budget ? { compute_budget: computeBudgetJson(budget.stats()) } : {};
}

/** Each model's state and queue, cheap enough for /health (no engine call but counters). */
function modelStates(models: ModelRegistry): Record<string, unknown> {
  return Object.fromEntries(
    models.entries.map((e) => [
      e.name,
      {
        state: e.state,
        default: e === models.defaultEntry,
        ...(e.failure !== undefined && { reason: e.failure }),
        requests: e.users,
        controller: e.reranker?.stats().controller ?? null,
      },
    ]),
  );
}

/** The model `name` selects (its name or an alias), or 404 even when unknown names are tolerated. */
function served(names: ModelNames, name: string): ModelEntry {
  const entry = names.find(name);
  if (!entry) {
    throw new HttpError(
      404,
      'MODEL_NOT_FOUND',
      `Model "${name}" is not served here; use one of: ${names.known().join(', ')}.`,
      {
        field: 'model',
      },
    );
  }
  return entry;
}

/**
 * Whether `Accept` ranks text/plain or OpenMetrics above JSON. Done by hand because express's
 * negotiation requires media type parameters to match, and Prometheus sends
 * `application/openmetrics-text;version=1.0.0,...`. Wildcards count for neither, so JSON stays the default.
 */
export function prefersText(accept: string | undefined): boolean {
  let json = 0;
  let text = 0;
  for (const entry of (accept ?? '').split(',')) {
    const [type = '', ...params] = entry.split(';').map((part) => part.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (type === 'application/json') json = Math.max(json, q);
    if (type === 'text/plain' || type === 'application/openmetrics-text') text = Math.max(text, q);
  }
  return text > json;
}
