import { abortError } from './abort';
import { ERROR_CODES, RerankerError, type RerankerErrorCode } from './errors';
import { documentTexts, validateQuery, validateTopK } from './input';
import type { RerankResult } from './reranker-types';

export interface ServerRerankerOptions {
  /** The server's address, e.g. `http://127.0.0.1:8000` (its Cohere v2 route `/v2/rerank` is used). */
  baseURL: string;
  /** Sent as `Authorization: Bearer …`, for a server that sets API_KEYS. @default none */
  apiKey?: string;
  /** Name of the served model. @default the model the server runs */
  model?: string;
  /** A fetch implementation (proxies, tests). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** What `rerank` of a server reranker takes: the subset of `RerankOptions` that crosses HTTP. */
export interface ServerRerankOptions {
  /** Keep the best `topK` results. @default all documents */
  topK?: number;
  /** Cancels the HTTP request; the promise rejects with `RerankerError` `ABORTED`. */
  signal?: AbortSignal;
}

/** A reranker-server as a `rerank` function with `UnifiedReRanker.rerank`'s results. */
export interface ServerReranker {
  rerank(query: string, documents: readonly string[], options?: ServerRerankOptions): Promise<RerankResult[]>;
}

/**
 * A client for a reranker-server's Cohere v2 route (`POST <baseURL>/v2/rerank`) that answers like
 * `UnifiedReRanker.rerank`: results best first with `relevanceScore` (and `score` the same value: the
 * server sends no logits). Failures are `RerankerError`s: the server's own code when it is one of
 * `ERROR_CODES` (with `details.status`), else by status (4xx `INVALID_INPUT`, 401/403/404
 * `INVALID_CONFIG`, 429 `RATE_LIMITED`, 503 `BACKEND_UNAVAILABLE`, other 5xx `BACKEND_FAILED`);
 * an unreachable server is `BACKEND_UNAVAILABLE`. Written on fetch (no client library) because it is
 * one request and one response shape, and core runs in browsers.
 */
export function serverReranker(options: ServerRerankerOptions): ServerReranker {
  const url = `${options.baseURL.replace(/\/+$/, '')}/v2/rerank`;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return {
    async rerank(query, documents, { topK, signal } = {}) {
      validateQuery(query);
      const texts = documentTexts(documents);
      validateTopK(topK, texts.length);
      if (texts.length === 0) return [];
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.apiKey !== undefined && { authorization: `Bearer ${options.apiKey}` }),
          },
          body: JSON.stringify({ model: options.model, query, documents: texts, top_n: topK }),
          signal,
        });
      } catch (error) {
        if (signal?.aborted) throw abortError(signal);
        throw new RerankerError('BACKEND_UNAVAILABLE', `POST ${url} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const text = await response.text();
      if (!response.ok) throw httpError(url, response.status, text);
      return resultsOf(url, text, texts.length);
    },
  };
}

function resultsOf(url: string, text: string, count: number): RerankResult[] {
  let body: { results?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    throw new RerankerError('BACKEND_FAILED', `POST ${url} answered with invalid JSON.`);
  }
  const results = Array.isArray(body?.results) ? (body.results as unknown[]) : undefined;
  const valid = results?.every(
    (r) =>
      Number.isInteger((r as { index?: unknown })?.index) &&
      (r as { index: number }).index >= 0 &&
      (r as { index: number }).index < count &&
      typeof (r as { relevance_score?: unknown }).relevance_score === 'number',
  );
  if (!results || !valid) {
    throw new RerankerError('BACKEND_FAILED', `POST ${url} answered without valid results.`);
  }
  return (results as { index: number; relevance_score: number }[]).map((r) => ({
    index: r.index,
    score: r.relevance_score,
    relevanceScore: r.relevance_score,
  }));
}

function httpError(url: string, status: number, text: string): RerankerError {
  let body: { message?: unknown; code?: unknown; field?: unknown } = {};
  try {
    body = JSON.parse(text) ?? {};
  } catch {
    // Not JSON (a proxy's HTML page): the status alone decides.
  }
  const serverCode = typeof body.code === 'string' ? body.code : undefined;
  const message = typeof body.message === 'string' ? body.message : text.slice(0, 200);
  const code = (ERROR_CODES as readonly string[]).includes(serverCode ?? '')
    ? (serverCode as RerankerErrorCode)
    : codeOfStatus(status);
  return new RerankerError(
    code,
    `POST ${url}: HTTP ${status}${serverCode ? ` ${serverCode}` : ''}: ${message}`,
    {
      details: {
        status,
        ...(serverCode && { serverCode }),
        ...(typeof body.field === 'string' && { field: body.field }),
      },
    },
  );
}

function codeOfStatus(status: number): RerankerErrorCode {
  if (status === 401 || status === 403 || status === 404) return 'INVALID_CONFIG';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'BACKEND_UNAVAILABLE';
  return status < 500 ? 'INVALID_INPUT' : 'BACKEND_FAILED';
}
