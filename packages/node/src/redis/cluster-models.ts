import { bucketOf, LATENCY_BOUNDS_MS, mergeHistograms, percentile } from './cluster-metrics';

/** One finished request of one model, as the server measured it. */
export interface ModelRequest {
  ok: boolean;
  /** Milliseconds waiting (model load, slots, leases). */
  waitMs: number;
  /** Milliseconds computing after the wait. */
  processMs: number;
  /** Documents (pairs, after chunking) of the request. */
  documents: number;
}

/**
 * What a server publishes about one model's requests since it started: counts, and histograms (the
 * cluster's `LATENCY_BOUNDS_MS` buckets) of wait and process times, so servers add up bucket by bucket.
 */
export interface ModelTotals {
  requests: number;
  successful: number;
  failed: number;
  /** Documents of the successful requests. */
  documents: number;
  /** Sums of the times of every request, failed ones included (for exact cluster means). */
  wait_ms_sum: number;
  process_ms_sum: number;
  wait_ms: number[];
  process_ms: number[];
}

/** One served model in a server's registry entry. */
export interface ServedModel {
  /** The name clients send as `model`. */
  name: string;
  /** unloaded, loading, loaded or failed. */
  state: string;
  loaded: boolean;
  /** The model of requests without `model`. */
  default: boolean;
  /** Requests running or waiting on the model at the last heartbeat. */
  in_flight: number;
  /** Its request totals since the server started (absent from servers of older versions). */
  metrics?: ModelTotals;
}

/**
 * `GET /metrics/cluster`'s `models.<name>`: the flat /metrics keys summed over the servers that serve
 * the model. Means are exact over all requests since each server started; percentiles come from the
 * merged histograms, exact to a bucket's width (~19%), where a server's /metrics reports nearest-rank
 * over its last requests.
 */
export interface ClusterModelMetrics {
  /** Live servers serving the model, and those that have it loaded now. */
  servers: number;
  loaded_on: number;
  in_flight: number;
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  /** successful / total, 1 without requests (as /metrics). */
  success_rate: number;
  documents_scored: number;
  avg_wait_time_ms: number | null;
  avg_process_time_ms: number | null;
  p50_wait_time_ms: number | null;
  p95_wait_time_ms: number | null;
  p99_wait_time_ms: number | null;
  p50_process_time_ms: number | null;
  p95_process_time_ms: number | null;
  p99_process_time_ms: number | null;
}

class OneModel {
  requests = 0;
  successful = 0;
  documents = 0;
  waitSum = 0;
  processSum = 0;
  readonly wait = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  readonly process = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
}

/** The running per-model totals of one server; `snapshot(name)` is what its heartbeat publishes. */
export class ModelRequestTotals {
  readonly #models = new Map<string, OneModel>();

  record(model: string, request: ModelRequest): void {
    let totals = this.#models.get(model);
    if (!totals) {
      totals = new OneModel();
      this.#models.set(model, totals);
    }
    totals.requests += 1;
    if (request.ok) {
      totals.successful += 1;
      totals.documents += request.documents;
    }
    totals.waitSum += request.waitMs;
    totals.processSum += request.processMs;
    totals.wait[bucketOf(request.waitMs)]! += 1;
    totals.process[bucketOf(request.processMs)]! += 1;
  }

  snapshot(model: string): ModelTotals {
    const totals = this.#models.get(model) ?? new OneModel();
    return {
      requests: totals.requests,
      successful: totals.successful,
      failed: totals.requests - totals.successful,
      documents: totals.documents,
      wait_ms_sum: round(totals.waitSum),
      process_ms_sum: round(totals.processSum),
      wait_ms: [...totals.wait],
      process_ms: [...totals.process],
    };
  }
}

/**
 * Per-model cluster metrics from the servers' entries: every model any live server serves, with the
 * totals of the servers that publish them. Entries without `models` (older versions) are left out.
 */
export function aggregateModels(
  entries: ReadonlyArray<{ models?: readonly ServedModel[] }>,
): Record<string, ClusterModelMetrics> {
  const byName = new Map<string, ServedModel[]>();
  for (const entry of entries) {
    if (!Array.isArray(entry.models)) continue;
    for (const model of entry.models) {
      if (typeof model?.name !== 'string') continue;
      byName.set(model.name, [...(byName.get(model.name) ?? []), model]);
    }
  }
  const out: Record<string, ClusterModelMetrics> = {};
  for (const name of [...byName.keys()].sort()) out[name] = aggregateOne(byName.get(name)!);
  return out;
}

function aggregateOne(served: readonly ServedModel[]): ClusterModelMetrics {
  const totals = served.map((model) => model.metrics).filter(isModelTotals);
  const sum = (pick: (t: ModelTotals) => number) => totals.reduce((total, t) => total + pick(t), 0);
  const requests = sum((t) => t.requests);
  const successful = sum((t) => t.successful);
  const wait = mergeHistograms(totals.map((t) => t.wait_ms));
  const process = mergeHistograms(totals.map((t) => t.process_ms));
  const mean = (total: number) => (requests === 0 ? null : round(total / requests));
  return {
    servers: served.length,
    loaded_on: served.filter((model) => model.loaded === true).length,
    in_flight: served.reduce((total, model) => total + count(model.in_flight), 0),
    total_requests: requests,
    successful_requests: successful,
    failed_requests: requests - successful,
    success_rate: requests === 0 ? 1 : successful / requests,
    documents_scored: sum((t) => t.documents),
    avg_wait_time_ms: mean(sum((t) => t.wait_ms_sum)),
    avg_process_time_ms: mean(sum((t) => t.process_ms_sum)),
    p50_wait_time_ms: percentile(wait, 0.5),
    p95_wait_time_ms: percentile(wait, 0.95),
    p99_wait_time_ms: percentile(wait, 0.99),
    p50_process_time_ms: percentile(process, 0.5),
    p95_process_time_ms: percentile(process, 0.95),
    p99_process_time_ms: percentile(process, 0.99),
  };
}

function isModelTotals(value: unknown): value is ModelTotals {
  const t = value as Partial<ModelTotals> | undefined;
  return (
    typeof t?.requests === 'number' &&
    typeof t.successful === 'number' &&
    typeof t.documents === 'number' &&
    typeof t.wait_ms_sum === 'number' &&
    typeof t.process_ms_sum === 'number' &&
    Array.isArray(t.wait_ms) &&
    Array.isArray(t.process_ms)
  );
}

function count(value: unknown): number {
  return typeof value === 'number' && value >= 0 ? value : 0;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
