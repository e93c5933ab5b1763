import { type DetailedRerank, isRerankerError, type RerankSlot } from '@reranker/core';
import type { GlobalLimits, GlobalPermit } from '@reranker/node';
import type { RequestHandler, Response } from 'express';
import type { ServerConfig } from './config';
import { type Flavour, HttpError } from './errors';
import type { ServerMetrics } from './metrics/prometheus';
import type { ModelLease } from './models/entry';
import type { ModelNames } from './models/names';
import type { Service } from './service';

/** What the rerank routes share. */
export interface RerankDeps {
  service: Service;
  config: ServerConfig;
  metrics: ServerMetrics;
  names: ModelNames;
  /** The JSON body parser (with BODY_LIMIT). */
  json: RequestHandler;
  /** API key check for rerank routes. */
  auth: RequestHandler;
  /** Cluster-wide limits (GLOBAL_MAX_PARALLEL, GLOBAL_RATE_LIMIT_RPS) in distributed mode. */
  limits?: GlobalLimits;
}

/**
 * Marks the request's route and error flavour before anything can fail (auth, body parsing). Without
 * a flavour (plain /rerank, told apart by its body) the error handler guesses from the raw body.
 */
export function tag(route: string, flavour?: Flavour): RequestHandler {
  return (_req, res, next) => {
    res.locals.route = route;
    if (flavour) res.locals.flavour = flavour;
    res.locals.startedAt ??= performance.now();
    next();
  };
}

/** Rejects requests with more than MAX_DOCUMENTS_PER_REQUEST documents, naming the field. */
export function checkDocumentCount(count: number, config: ServerConfig, field: string): void {
  if (count > config.maxDocumentsPerRequest) {
    throw new HttpError(
      413,
      'TOO_MANY_DOCUMENTS',
      `${field} holds ${count} items, more than the limit of ${config.maxDocumentsPerRequest}: split the request, or raise MAX_DOCUMENTS_PER_REQUEST.`,
      { field },
    );
  }
}

/**
 * The texts to score, or work that finds them (chunking, truncation) with the request's model and runs
 * once the request holds its slot, so it counts against the concurrency limits; it stops when the
 * signal aborts.
 */
export type TextSource = readonly string[] | ((signal: AbortSignal, model: ModelLease) => Promise<string[]>);

/** What a request scored, and the model that scored it. */
export interface Scored {
  detailed: DetailedRerank<string>;
  /** The served model's name, echoed where the API has a `model` field. */
  model: string;
}

/**
 * Scores `texts` against `query` for one HTTP request with the model its `model` field names (see
 * `ModelNames`): every text, sorted best first. The model is loaded first if it is not (the wait
 * counts as queue time, bounded by the queue timeout). The request then takes a slot of its model
 * (MAX_PARALLEL / MAX_QUEUE per model); with several models that slot is also one of the server-wide
 * ones, which go to the models' queues in turn (`FairConcurrency`), so a burst on one model neither
 * holds server slots while it waits for its own nor queues the other models behind it. The
 * request is aborted when the client disconnects, so a request still waiting leaves its queue and is
 * never computed. With cluster limits the request first passes the rate limit and takes a lease (its
 * wait counts as queue time). Records the costs for the log line, the metrics and TEI's timing headers.
 */
export async function scoreForRequest(
  deps: Pick<RerankDeps, 'service' | 'metrics' | 'limits' | 'names'>,
  res: Response,
  requested: string | undefined,
  query: string,
  texts: TextSource,
  /** The request's instruction (LLM rerankers; see `instructionOptions`). */
  options: { instruction?: string } = {},
): Promise<Scored> {
  const entry = deps.names.resolve(requested);
  const registry = deps.service.models;
  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) abort.abort(new Error('The client closed the connection.'));
  };
  res.once('close', onClose);
  const { signal } = abort;
  let permit: GlobalPermit | undefined;
  let lease: ModelLease | undefined;
  // Documents in flight for the autoscaling gauges: from arrival (or from chunking, which runs in the
  // slot) until the answer; `tokens` is set once scored.
  let inflight = 0;
  let tokens: number | undefined;
  const arrive = (count: number) => {
    inflight = count;
    deps.metrics.inflight.begin(count);
  };
  const arrivedAt = performance.now();
  let startedAt: number | undefined;
  try {
    let scored = typeof texts === 'function' ? [] : texts;
    arrive(scored.length);
    res.locals.documents = scored.length;
    res.locals.model = entry.name;
    permit = await deps.limits?.enter(signal);
    lease = await deps.service.lease(entry, signal);
    const model = lease;
    const score = async (slot: RerankSlot) => {
      startedAt = performance.now();
      if (typeof texts === 'function') {
        scored = await texts(signal, model);
        arrive(scored.length);
        res.locals.documents = scored.length;
      }
      return slot.rerankDetailed(query, scored, { ...options, signal });
    };
    // With several models `score` notes when the slot came, so a wait for the model's load is queue time too.
    const detailed =
      typeof texts !== 'function' && !registry.multi
        ? await model.reranker.rerankDetailed(query, texts, { ...options, signal })
        : await model.reranker.withSlot(score, { signal });
    tokens = detailed.usage.tokens;
    const { inferenceMs } = detailed.timings;
    // The model's wait, the load wait, the server-wide wait and the cluster lease all count as queue time.
    const queueMs =
      startedAt === undefined
        ? detailed.timings.queueMs + (permit?.waitedMs ?? 0)
        : Math.max(0, startedAt - arrivedAt);
    res.locals.queueMs = queueMs;
    res.locals.inferenceMs = inferenceMs;
    deps.metrics.recordRerank({ model: model.name, queueMs, inferenceMs, documents: scored.length, tokens });
    const record = { ok: true, waitMs: queueMs, processMs: inferenceMs, documents: scored.length };
    deps.metrics.modelTotals.record(model.name, record);
    for (const recorder of [model.stats, registry.stats]) {
      recorder.recordRequest(record);
      recorder.recordCache(
        detailed.usage.cachedPairs,
        Math.max(0, scored.length - detailed.usage.cachedPairs),
      );
    }
    const totalMs = performance.now() - (res.locals.startedAt ?? performance.now());
    res.set({
      'x-queue-time': String(Math.round(queueMs)),
      'x-inference-time': String(Math.round(inferenceMs)),
      'x-total-time': String(Math.round(totalMs)),
      'x-compute-tokens': String(detailed.usage.tokens),
    });
    return { detailed, model: model.name };
  } catch (error) {
    const now = performance.now();
    const failure = {
      ok: false,
      waitMs: (startedAt ?? now) - arrivedAt,
      processMs: startedAt === undefined ? 0 : now - startedAt,
      documents: inflight,
      errorCode: errorCodeOf(error),
    };
    entry.stats.recordRequest(failure);
    deps.metrics.modelTotals.record(entry.name, failure);
    registry.stats.recordRequest(failure);
    throw error;
  } finally {
    deps.metrics.inflight.finish(inflight, tokens);
    permit?.release();
    lease?.release();
    res.off('close', onClose);
  }
}

function errorCodeOf(error: unknown): string {
  if (isRerankerError(error)) return error.code;
  if (error instanceof HttpError) return error.code;
  return 'INTERNAL';
}
