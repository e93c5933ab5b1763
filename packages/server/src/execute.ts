import type { DetailedRerank, UnifiedReRanker } from '@reranker/core';
import type { GlobalLimits, GlobalPermit } from '@reranker/node';
import type { RequestHandler, Response } from 'express';
import type { TokenWindow } from './chunking';
import type { ServerConfig } from './config';
import { type Flavour, HttpError } from './errors';
import type { ServerMetrics } from './metrics/prometheus';
import type { ModelNames } from './model-names';
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
 * The texts to score, or work that finds them (chunking, truncation) and runs once the request holds
 * its slot, so it counts against the concurrency limits; it stops when the signal aborts.
 */
export type TextSource = readonly string[] | ((signal: AbortSignal) => Promise<string[]>);

/**
 * Scores `texts` against `query` for one HTTP request: every text, sorted best first. The request is
 * aborted when the client disconnects, so a request still waiting in the queue leaves it and is never
 * computed. With cluster limits the request first passes the rate limit and takes a lease (its wait
 * counts as queue time), given back when the request is done. Records the costs for the log line, the
 * metrics and TEI's timing headers.
 */
export async function scoreForRequest(
  deps: Pick<RerankDeps, 'service' | 'metrics' | 'limits'>,
  res: Response,
  reranker: UnifiedReRanker,
  query: string,
  texts: TextSource,
  /** The request's instruction (LLM rerankers; see `instructionOptions`). */
  options: { instruction?: string } = {},
): Promise<DetailedRerank<string>> {
  const abort = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) abort.abort(new Error('The client closed the connection.'));
  };
  res.once('close', onClose);
  const { signal } = abort;
  let permit: GlobalPermit | undefined;
  // Documents in flight for the autoscaling gauges: from arrival (or from chunking, which runs in the
  // slot) until the answer; `tokens` is set once scored.
  let inflight = 0;
  let tokens: number | undefined;
  const arrive = (count: number) => {
    inflight = count;
    deps.metrics.inflight.begin(count);
  };
  try {
    let scored = typeof texts === 'function' ? [] : texts;
    arrive(scored.length);
    res.locals.documents = scored.length;
    permit = await deps.limits?.enter(signal);
    const detailed =
      typeof texts === 'function'
        ? await reranker.withSlot(
            async (slot) => {
              scored = await texts(signal);
              arrive(scored.length);
              res.locals.documents = scored.length;
              return slot.rerankDetailed(query, scored, { ...options, signal });
            },
            { signal },
          )
        : await reranker.rerankDetailed(query, texts, { ...options, signal });
    tokens = detailed.usage.tokens;
    const { inferenceMs } = detailed.timings;
    const queueMs = detailed.timings.queueMs + (permit?.waitedMs ?? 0);
    res.locals.queueMs = queueMs;
    res.locals.inferenceMs = inferenceMs;
    deps.metrics.recordRerank({
      queueMs,
      inferenceMs,
      documents: scored.length,
      tokens: detailed.usage.tokens,
    });
    const totalMs = performance.now() - (res.locals.startedAt ?? performance.now());
    res.set({
      'x-queue-time': String(Math.round(queueMs)),
      'x-inference-time': String(Math.round(inferenceMs)),
      'x-total-time': String(Math.round(totalMs)),
      'x-compute-tokens': String(detailed.usage.tokens),
    });
    return detailed;
  } finally {
    deps.metrics.inflight.finish(inflight, tokens);
    permit?.release();
    res.off('close', onClose);
  }
}

/** The model's window facts the routes need for truncation and chunking. */
export function windowOf(service: Service): TokenWindow {
  const info = service.info;
  return {
    maxLength: info?.maxLength ?? 512,
    maxQueryTokens: info?.maxQueryTokens ?? 64,
    pairSpecialTokens: info?.pairSpecialTokens ?? 4,
  };
}
