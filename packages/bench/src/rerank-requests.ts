// POST /rerank requests against a running server and what a set of them did: the figures of
// `reranker-bench load` and `reranker-bench cluster` (and scripts/performance_test.sh).
import { percentile } from './stats';

/**
 * One POST of `body` to `target` (a /rerank URL); never throws: a failure is an `Outcome` with its reason.
 * `ok` means 200 with one result per document.
 */
export async function postRerank(
  target: URL,
  body: { query: string; documents: string[]; model?: string },
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Outcome> {
  const payload = JSON.stringify(body);
  const t0 = performance.now();
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const ms = performance.now() - t0;
    let ok = false;
    if (response.status === 200) {
      try {
        const results = (JSON.parse(text) as { results?: unknown }).results;
        ok = Array.isArray(results) && results.length === body.documents.length;
      } catch {}
    }
    const retryAfter = response.headers.has('retry-after');
    const error = ok ? undefined : `HTTP ${response.status}: ${text.slice(0, 200)}`;
    return { status: response.status, ok, ms, retryAfter, error };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const error = `${(err as Error).name}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`;
    return { status: 0, ok: false, ms: performance.now() - t0, retryAfter: false, error };
  }
}

/** What one request did. */
export interface Outcome {
  /** HTTP status; 0 when no response arrived (connection error or timeout). */
  status: number;
  /** 200 with a `results` array holding one entry per document. */
  ok: boolean;
  /** Milliseconds from sending the request to reading the whole response. */
  ms: number;
  /** Whether a 503 carried a Retry-After header (the server's overload signal). */
  retryAfter: boolean;
  /** Why a request failed, for the first few failures printed. */
  error?: string;
}

export interface Summary {
  total: number;
  ok: number;
  overloaded: number;
  overloadedWithRetryAfter: number;
  /** Failed HTTP responses other than 503, count by status. */
  httpErrors: Record<string, number>;
  /** No response: connection refused or reset, or the request timed out. */
  networkErrors: number;
  /** 200 whose body was not the expected `results` array. */
  badBodies: number;
  /** Latency percentiles of the successful requests, ms; undefined when none succeeded. */
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

const orUndefined = (n: number) => (Number.isNaN(n) ? undefined : n);

export function summarize(outcomes: readonly Outcome[]): Summary {
  const okLatencies = outcomes.filter((o) => o.ok).map((o) => o.ms);
  const httpErrors: Record<string, number> = {};
  let overloaded = 0;
  let overloadedWithRetryAfter = 0;
  let networkErrors = 0;
  let badBodies = 0;
  for (const o of outcomes) {
    if (o.ok) continue;
    if (o.status === 0) networkErrors++;
    else if (o.status === 503) {
      overloaded++;
      if (o.retryAfter) overloadedWithRetryAfter++;
    } else if (o.status === 200) badBodies++;
    else httpErrors[o.status] = (httpErrors[o.status] ?? 0) + 1;
  }
  return {
    total: outcomes.length,
    ok: okLatencies.length,
    overloaded,
    overloadedWithRetryAfter,
    httpErrors,
    networkErrors,
    badBodies,
    p50: orUndefined(percentile(okLatencies, 50)),
    p95: orUndefined(percentile(okLatencies, 95)),
    p99: orUndefined(percentile(okLatencies, 99)),
  };
}
