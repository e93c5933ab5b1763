/**
 * Upper bounds (ms) of the latency buckets every server uses, 2^(1/4) apart (each bucket ~19% wide)
 * from 0.5 ms to about 110 s; one more bucket counts everything above. Fixed, so the histograms of all
 * servers add up bucket by bucket.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 72 }, (_, i) => 0.5 * 2 ** (i / 4));

/** What a server publishes about the requests it answered since it started (in its registry entry). */
export interface ServerTotals {
  /** Rerank requests answered, whatever the status. */
  requests: number;
  /** Of those, answered with a 5xx status (overload included). */
  errors: number;
  /** Documents (pairs, after chunking) of the requests scored. */
  documents: number;
  /** Latency histogram of successful rerank requests: counts per `LATENCY_BOUNDS_MS` bucket, then above. */
  latency_ms: number[];
}

export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** `GET /metrics/cluster`: totals over the live servers, percentiles from their merged histograms. */
export interface ClusterMetrics {
  /** Live servers in the registry. */
  servers: number;
  requests: number;
  errors: number;
  documents: number;
  latency_ms: LatencyPercentiles;
  per_server: Array<
    { id: string; host?: string; port?: number } & Omit<ServerTotals, 'latency_ms'> & {
        latency_ms: LatencyPercentiles;
      }
  >;
}

/** The running totals of one server; `snapshot()` is what its heartbeat publishes. */
export class RequestTotals {
  #requests = 0;
  #errors = 0;
  #documents = 0;
  readonly #latency = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);

  /** One answered rerank request: its latency counts only when it succeeded. */
  recordRequest(status: number, latencyMs: number): void {
    this.#requests += 1;
    if (status >= 500) this.#errors += 1;
    if (status < 400) this.#latency[bucketOf(latencyMs)]! += 1;
  }

  recordDocuments(count: number): void {
    this.#documents += count;
  }

  snapshot(): ServerTotals {
    return {
      requests: this.#requests,
      errors: this.#errors,
      documents: this.#documents,
      latency_ms: [...this.#latency],
    };
  }
}

/** The bucket `ms` falls in: the first whose upper bound is at least `ms`, or the last (above all). */
export function bucketOf(ms: number): number {
  let low = 0;
  let high = LATENCY_BOUNDS_MS.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (ms <= LATENCY_BOUNDS_MS[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Bucket-by-bucket sums; histograms of another layout (another version) are left out. */
export function mergeHistograms(histograms: readonly (readonly number[])[]): number[] {
  const merged = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  for (const counts of histograms) {
    if (!isHistogram(counts)) continue;
    for (const [index, count] of counts.entries()) merged[index]! += count;
  }
  return merged;
}

/**
 * The `q` quantile (0..1) of a histogram, interpolated linearly inside the bucket the rank falls in (as
 * Prometheus's histogram_quantile): exact to the bucket's width. Null when the histogram is empty; the
 * top bound when the rank falls above it.
 */
export function percentile(counts: readonly number[], q: number): number | null {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (const [index, count] of counts.entries()) {
    if (count > 0 && below + count >= rank) {
      const upper = LATENCY_BOUNDS_MS[index];
      if (upper === undefined) return LATENCY_BOUNDS_MS.at(-1)!;
      const lower = index === 0 ? 0 : LATENCY_BOUNDS_MS[index - 1]!;
      return round(lower + ((upper - lower) * Math.max(0, rank - below)) / count);
    }
    below += count;
  }
  return LATENCY_BOUNDS_MS.at(-1)!;
}

export function percentiles(counts: readonly number[]): LatencyPercentiles {
  return { p50: percentile(counts, 0.5), p95: percentile(counts, 0.95), p99: percentile(counts, 0.99) };
}

/**
 * Adds up the totals the live servers published and computes the cluster's percentiles from their
 * merged histograms: the mean of per-server p95s is not the cluster's p95 (a busy slow server and an
 * idle fast one would weigh the same).
 */
export function aggregateCluster(
  entries: ReadonlyArray<{ id: string; host?: string; port?: number; metrics?: ServerTotals }>,
): ClusterMetrics {
  const published = entries.filter((entry) => isTotals(entry.metrics));
  const sum = (pick: (totals: ServerTotals) => number) =>
    published.reduce((total, entry) => total + pick(entry.metrics!), 0);
  return {
    servers: entries.length,
    requests: sum((t) => t.requests),
    errors: sum((t) => t.errors),
    documents: sum((t) => t.documents),
    latency_ms: percentiles(mergeHistograms(published.map((entry) => entry.metrics!.latency_ms))),
    per_server: published.map(({ id, host, port, metrics }) => ({
      id,
      host,
      port,
      requests: metrics!.requests,
      errors: metrics!.errors,
      documents: metrics!.documents,
      latency_ms: percentiles(isHistogram(metrics!.latency_ms) ? metrics!.latency_ms : []),
    })),
  };
}

function isHistogram(counts: unknown): counts is number[] {
  return (
    Array.isArray(counts) &&
    counts.length === LATENCY_BOUNDS_MS.length + 1 &&
    counts.every((count) => Number.isInteger(count) && count >= 0)
  );
}

function isTotals(value: unknown): value is ServerTotals {
  const totals = value as Partial<ServerTotals> | undefined;
  return (
    typeof totals?.requests === 'number' &&
    typeof totals.errors === 'number' &&
    typeof totals.documents === 'number' &&
    Array.isArray(totals.latency_ms)
  );
}

/** Microsecond precision is plenty for milliseconds in JSON. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
