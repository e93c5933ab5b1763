import type { BackendCandidate, UnifiedReRanker } from '@reranker/core';
import { RequestTotals } from '@reranker/node';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { DEMAND_TIME_CONSTANT_S, LoadTracker } from './load';

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const COUNTS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const TOKENS = [16, 64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576];
/** The routes whose requests count in the totals published for GET /metrics/cluster. */
const RERANK_ROUTES = new Set(['/rerank', '/v1/rerank', '/v2/rerank']);

/** Lifetime counts for the dashboard (see `ServerMetrics.live`). */
export interface LiveCounts {
  rerank_requests: number;
  unavailable: number;
  server_errors: number;
  workers: WorkerTime | null;
}

/** Time the model's workers spent running batches. */
export interface WorkerTime {
  /** Batches the backend runs at once (its worker count). */
  lanes: number;
  /** Batches running now. */
  running: number;
  /** Milliseconds of batch runs summed over the lanes, runs in progress included. */
  busy_ms: number;
}

/** Sums the time of backend runs, counting runs in progress up to now so utilisation moves smoothly. */
class WorkerClock {
  lanes = 0;
  #finishedMs = 0;
  readonly #running = new Set<{ startedAt: number }>();

  start(): () => void {
    const run = { startedAt: performance.now() };
    this.#running.add(run);
    return () => {
      this.#running.delete(run);
      this.#finishedMs += performance.now() - run.startedAt;
    };
  }

  snapshot(): WorkerTime | null {
    if (this.lanes === 0) return null;
    const now = performance.now();
    let busy = this.#finishedMs;
    for (const run of this.#running) busy += now - run.startedAt;
    return { lanes: this.lanes, running: this.#running.size, busy_ms: Math.round(busy * 1000) / 1000 };
  }
}

/** What one rerank request cost, for the histograms. */
export interface RequestCost {
  queueMs: number;
  inferenceMs: number;
  documents: number;
  tokens: number;
}

/**
 * Prometheus metrics of one app, in its own registry (never prom-client's global one, so many apps
 * can live in one process, as in tests). Engine gauges and cache counters are read at scrape time.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Rerank request totals and latency histogram, published in the registry heartbeat (distributed mode). */
  readonly totals = new RequestTotals();
  /** Documents in flight and the smoothed demand rate, for the autoscaling gauges. */
  readonly inflight = new LoadTracker();
  readonly #requests: Counter<'route' | 'method' | 'status'>;
  readonly #latency: Histogram<'route'>;
  readonly #queue: Histogram;
  readonly #inference: Histogram;
  readonly #documents: Histogram;
  readonly #requestTokens: Histogram;
  readonly #batchRows: Histogram;
  readonly #batchTokens: Histogram;
  #reranker: UnifiedReRanker | undefined;
  /** Rerank requests answered 503 (queue full or timed out, rate limited, loading, draining). */
  #unavailable = 0;
  readonly #workers = new WorkerClock();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const self = this;
    this.#requests = new Counter({
      name: 'reranker_http_requests_total',
      help: 'HTTP requests by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'reranker_http_request_duration_seconds',
      help: 'Total time from request to response, by route.',
      labelNames: ['route'],
      buckets: SECONDS,
      registers,
    });
    this.#queue = new Histogram({
      name: 'reranker_queue_wait_seconds',
      help: 'Time rerank requests waited for a free slot.',
      buckets: SECONDS,
      registers,
    });
    this.#inference = new Histogram({
      name: 'reranker_inference_seconds',
      help: 'Time rerank requests spent computing after the wait.',
      buckets: SECONDS,
      registers,
    });
    this.#documents = new Histogram({
      name: 'reranker_request_documents',
      help: 'Documents (pairs, after chunking) per rerank request.',
      buckets: COUNTS,
      registers,
    });
    this.#requestTokens = new Histogram({
      name: 'reranker_request_tokens',
      help: 'Tokens the model ran on per rerank request (cached pairs cost none).',
      buckets: TOKENS,
      registers,
    });
    this.#batchRows = new Histogram({
      name: 'reranker_batch_rows',
      help: 'Pairs per model run (only when the backends are instrumented, as the bin does).',
      buckets: COUNTS,
      registers,
    });
    this.#batchTokens = new Histogram({
      name: 'reranker_batch_tokens',
      help: 'Padded tokens (rows x width) per model run (only when the backends are instrumented).',
      buckets: TOKENS,
      registers,
    });
    const controllerGauge = (name: string, help: string, key: 'waiting' | 'active') =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const stats = self.#reranker?.stats().controller;
          this.set(stats ? stats[key] : 0);
        },
      });
    controllerGauge('reranker_queue_depth', 'Rerank requests waiting for a slot.', 'waiting');
    controllerGauge('reranker_active_requests', 'Rerank requests computing now.', 'active');
    // Autoscaling signals (server README, "Autoscaling signals"): each read at scrape time.
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge(
      'reranker_saturation',
      'Rerank requests running and waiting, divided by MAX_PARALLEL_REQUESTS (1 = every slot busy, above 1 = a queue).',
      () => {
        const stats = self.#reranker?.stats().controller;
        return stats ? (stats.active + stats.waiting) / stats.max_parallel : 0;
      },
    );
    gauge(
      'reranker_max_parallel_requests',
      'Rerank requests this server runs at once (MAX_PARALLEL_REQUESTS).',
      () => self.#reranker?.stats().controller.max_parallel ?? 0,
    );
    gauge(
      'reranker_max_queue_size',
      'Rerank requests allowed to wait for a slot (MAX_QUEUE_SIZE).',
      () => self.#reranker?.stats().controller.max_queue ?? 0,
    );
    gauge(
      'reranker_workers',
      'Inference workers (batches the backend runs at once); 0 while the model loads.',
      () => (self.#reranker ? self.#workers.lanes : 0),
    );
    gauge(
      'reranker_inflight_documents',
      'Documents of the rerank requests waiting or computing now.',
      () => self.inflight.inflightDocuments,
    );
    gauge(
      'reranker_inflight_tokens',
      'Model tokens of the documents in flight, estimated from the mean tokens per document scored so far.',
      () => self.inflight.inflightTokens,
    );
    gauge(
      'reranker_demand_documents_per_second',
      `Documents offered per second (refused ones included), exponentially smoothed over ${DEMAND_TIME_CONSTANT_S} s.`,
      () => self.inflight.demandRate(),
    );
    // Lifetime totals from the engine's snapshot, exposed as counters by adding what changed.
    const engineCounter = (name: string, help: string, key: 'cache_hits' | 'cache_misses') => {
      let seen = 0;
      return new Counter({
        name,
        help,
        registers,
        collect() {
          const total = self.#reranker?.stats().metrics[key] ?? seen;
          if (total > seen) this.inc(total - seen);
          seen = total;
        },
      });
    };
    engineCounter('reranker_cache_hits_total', 'Pairs answered by the score cache.', 'cache_hits');
    engineCounter('reranker_cache_misses_total', 'Pairs the score cache did not hold.', 'cache_misses');
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Reads queue gauges and cache counters from this reranker at scrape time. `workers` is the
   * backend's concurrency when the backends were not instrumented (which learns it at load).
   */
  attach(reranker: UnifiedReRanker, workers?: number): void {
    this.#reranker = reranker;
    if (this.#workers.lanes === 0 && workers) this.#workers.lanes = workers;
  }

  /** The load a server publishes with its registry heartbeat (GET /metrics/cluster sizes the cluster with it). */
  heartbeatLoad(): { active: number; waiting: number; max_parallel?: number } {
    const stats = this.#reranker?.stats().controller;
    if (!stats) return { active: 0, waiting: 0 };
    return { active: stats.active, waiting: stats.waiting, max_parallel: stats.max_parallel };
  }

  recordHttp(route: string, method: string, status: number, totalMs: number): void {
    this.#requests.inc({ route, method, status: String(status) });
    this.#latency.observe({ route }, totalMs / 1000);
    if (RERANK_ROUTES.has(route)) {
      this.totals.recordRequest(status, totalMs);
      if (status === 503) this.#unavailable++;
    }
  }

  /**
   * Lifetime counts the dashboard turns into rates: rerank requests, their 503s and 5xx, and the
   * workers' busy time (null unless the backends are instrumented, as the bin does).
   */
  live(): LiveCounts {
    const totals = this.totals.snapshot();
    return {
      rerank_requests: totals.requests,
      unavailable: this.#unavailable,
      server_errors: totals.errors,
      workers: this.#workers.snapshot(),
    };
  }

  recordRerank(cost: RequestCost): void {
    this.#queue.observe(cost.queueMs / 1000);
    this.#inference.observe(cost.inferenceMs / 1000);
    this.#documents.observe(cost.documents);
    this.#requestTokens.observe(cost.tokens);
    this.totals.recordDocuments(cost.documents);
  }

  /** Wraps backends so every model run records its rows and padded tokens. */
  instrument(candidates: readonly BackendCandidate[]): BackendCandidate[] {
    return candidates.map((candidate) => ({
      name: candidate.name,
      load: async (options) => {
        const backend = await candidate.load(options);
        this.#workers.lanes = Math.max(1, backend.concurrency ?? 1);
        const run: typeof backend.run = async (batch, runOptions) => {
          const done = this.#workers.start();
          try {
            const logits = await backend.run(batch, runOptions);
            this.#batchRows.observe(batch.rows);
            this.#batchTokens.observe(batch.rows * batch.width);
            return logits;
          } finally {
            done();
          }
        };
        // A proxy keeps the backend's own getters (device, concurrency) and methods intact.
        return new Proxy(backend, {
          get(target, key) {
            if (key === 'run') return run;
            const value = Reflect.get(target, key);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      },
    }));
  }

  /** The Prometheus text exposition. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
