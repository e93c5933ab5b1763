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

/** The inputs of `desired_servers`, as the cluster metrics show them. */
export interface ClusterScaling {
  /** Demand: rerank requests running plus waiting, summed over the live servers' last heartbeats. */
  in_flight: number;
  /** Per-server capacity: the mean MAX_PARALLEL_REQUESTS of the servers that publish it; null if none does. */
  capacity_per_server: number | null;
  /** SCALE_TARGET_UTILIZATION: the share of the slots the cluster should keep busy. */
  target_utilization: number;
}

/** `GET /metrics/cluster`: totals over the live servers, percentiles from their merged histograms. */
export interface ClusterMetrics {
  /** Live servers in the registry. */
  servers: number;
  /**
   * Servers the current demand needs at the target utilisation:
   * `max(1, ceil(in_flight / (capacity_per_server × target_utilization)))`; null when no server
   * publishes its capacity (servers of an older version).
   */
  desired_servers: number | null;
  scaling: ClusterScaling;
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
  entries: ReadonlyArray<{
    id: string;
    host?: string;
    port?: number;
    load?: ServerLoad;
    metrics?: ServerTotals;
  }>,
  targetUtilization = 0.7,
): ClusterMetrics {
  const published = entries.filter((entry) => isTotals(entry.metrics));
  const sum = (pick: (totals: ServerTotals) => number) =>
    published.reduce((total, entry) => total + pick(entry.metrics!), 0);
  const scaling = scalingOf(
    entries.map((entry) => entry.load),
    targetUtilization,
  );
  return {
    servers: entries.length,
    desired_servers: desiredServers(scaling),
    scaling,
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

/** What a server's heartbeat says about its load (`ServerEntry.load`). */
export interface ServerLoad {
  active: number;
  waiting: number;
  /** MAX_PARALLEL_REQUESTS; absent from servers of older versions and while the model loads. */
  max_parallel?: number;
}

function scalingOf(loads: ReadonlyArray<ServerLoad | undefined>, targetUtilization: number): ClusterScaling {
  const count = (value: unknown) => (typeof value === 'number' && value >= 0 ? value : 0);
  const inFlight = loads.reduce((total, load) => total + count(load?.active) + count(load?.waiting), 0);
  const capacities = loads
    .map((load) => load?.max_parallel)
    .filter((value): value is number => typeof value === 'number' && value > 0);
  const capacity = capacities.length === 0 ? null : capacities.reduce((a, b) => a + b, 0) / capacities.length;
  return { in_flight: inFlight, capacity_per_server: capacity, target_utilization: targetUtilization };
}

/**
 * The HPA's own rule on the saturation gauge, cluster-wide: enough servers that each runs
 * `target_utilization` of its slots. At least 1 (an idle cluster keeps one server). The small
 * tolerance keeps float error (21 / (2 × 0.7) = 15.000000000000002) from adding a server.
 */
function desiredServers({
  in_flight,
  capacity_per_server,
  target_utilization,
}: ClusterScaling): number | null {
  if (capacity_per_server === null) return null;
  return Math.max(1, Math.ceil(in_flight / (capacity_per_server * target_utilization) - 1e-9));
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
