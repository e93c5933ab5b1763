// Sorting request outcomes into the numbers scripts/performance_test.sh prints.

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
  /** Failed HTTP responses other than 503, by status. */
  httpErrors: Map<number, number>;
  /** No response: connection refused or reset, or the request timed out. */
  networkErrors: number;
  /** 200 whose body was not the expected `results` array. */
  badBodies: number;
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(outcomes: readonly Outcome[]): Summary {
  const okLatencies = outcomes
    .filter((o) => o.ok)
    .map((o) => o.ms)
    .sort((a, b) => a - b);
  const httpErrors = new Map<number, number>();
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
    else httpErrors.set(o.status, (httpErrors.get(o.status) ?? 0) + 1);
  }
  return {
    total: outcomes.length,
    ok: okLatencies.length,
    overloaded,
    overloadedWithRetryAfter,
    httpErrors,
    networkErrors,
    badBodies,
    p50: percentile(okLatencies, 50),
    p95: percentile(okLatencies, 95),
    p99: percentile(okLatencies, 99),
  };
}

const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)} ms`);

/** One `name: value` line per figure, so people and scripts can both read it. */
export function formatSummary(summary: Summary, seconds: number, documentsPerRequest: number): string[] {
  const rate = summary.total === 0 ? 0 : (100 * summary.ok) / summary.total;
  const other = [...summary.httpErrors].map(([status, count]) => `${status}×${count}`).join(', ') || 'none';
  return [
    `total requests: ${summary.total}`,
    `successful: ${summary.ok}`,
    `success rate: ${rate.toFixed(2)}%`,
    `overloaded (503): ${summary.overloaded} (with Retry-After: ${summary.overloadedWithRetryAfter})`,
    `other HTTP errors: ${other}`,
    `network errors/timeouts: ${summary.networkErrors}`,
    `malformed responses: ${summary.badBodies}`,
    `duration: ${seconds.toFixed(2)} s`,
    `requests/s: ${(summary.ok / seconds).toFixed(2)}`,
    `documents/s: ${((summary.ok * documentsPerRequest) / seconds).toFixed(1)}`,
    `latency p50: ${ms(summary.p50)}`,
    `latency p95: ${ms(summary.p95)}`,
    `latency p99: ${ms(summary.p99)}`,
  ];
}
