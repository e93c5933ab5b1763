import type { BackendCandidate, ControllerStats } from '@reranker/core';
import { ModelRequestTotals, RequestTotals } from '@reranker/node';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { ModelEvents, ModelRegistry } from '../models/registry';
import { defineComputeGauges } from './compute-gauges';
import { LoadTracker } from './load';
import { defineModelGauges, modelEventCounters } from './model-gauges';

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
  /** Lanes per model (a model's lanes leave when its backend is disposed). */
  readonly byModel = new Map<object, number>();
  #hint = 0;
  #finishedMs = 0;

  get lanes(): number {
    let sum = 0;
    for (const lanes of this.byModel.values()) sum += lanes;
    return sum || this.#hint;
  }

  /** The backend's concurrency when the backends were not instrumented. */
  hint(lanes: number): void {
    this.#hint = lanes;
  }

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
  /** The served model's name (the `model` label). */
  model: string;
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
  /** Per-model request totals and wait/process histograms, published per model in the heartbeat. */
  readonly modelTotals = new ModelRequestTotals();
  /** Documents in flight and the smoothed demand rate, for the autoscaling gauges. */
  readonly inflight = new LoadTracker();
  readonly #requests: Counter<'route' | 'method' | 'status'>;
  readonly #latency: Histogram<'route'>;
  readonly #queue: Histogram<'model'>;
  readonly #inference: Histogram<'model'>;
  readonly #documents: Histogram<'model'>;
  readonly #requestTokens: Histogram<'model'>;
  readonly #batchRows: Histogram<'model'>;
  readonly #batchTokens: Histogram<'model'>;
  #models: ModelRegistry | undefined;
  /** Rerank requests answered 503 (queue full or timed out, rate limited, loading, draining). */
  #unavailable = 0;
  readonly #workers = new WorkerClock();
  readonly #modelEvents: ModelEvents;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
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
      labelNames: ['model'],
      help: 'Time rerank requests waited for a free slot.',
      buckets: SECONDS,
      registers,
    });
    this.#inference = new Histogram({
      name: 'reranker_inference_seconds',
      labelNames: ['model'],
      help: 'Time rerank requests spent computing after the wait.',
      buckets: SECONDS,
      registers,
    });
    this.#documents = new Histogram({
      name: 'reranker_request_documents',
      labelNames: ['model'],
      help: 'Documents (pairs, after chunking) per rerank request.',
      buckets: COUNTS,
      registers,
    });
    this.#requestTokens = new Histogram({
      name: 'reranker_request_tokens',
      labelNames: ['model'],
      help: 'Tokens the model ran on per rerank request (cached pairs cost none).',
      buckets: TOKENS,
      registers,
    });
    this.#batchRows = new Histogram({
      name: 'reranker_batch_rows',
      labelNames: ['model'],
      help: 'Pairs per model run (only when the backends are instrumented, as the bin does).',
      buckets: COUNTS,
      registers,
    });
    this.#batchTokens = new Histogram({
      name: 'reranker_batch_tokens',
      labelNames: ['model'],
      help: 'Padded tokens (rows x width) per model run (only when the backends are instrumented).',
      buckets: TOKENS,
      registers,
    });
    defineModelGauges(registers, {
      models: () => this.#models,
      server: () => this.#serverController(),
      lanes: () => this.#workers.lanes,
      inflight: this.inflight,
    });
    defineComputeGauges(registers, () => this.#models?.computeBudget);
    this.#modelEvents = modelEventCounters(registers);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Reads the models' queue gauges and cache counters at scrape time. */
  attachModels(models: ModelRegistry): void {
    this.#models = models;
    models.observe(this.#modelEvents);
  }

  /** The backend's concurrency when the backends were not instrumented (which learns it at load). */
  workersHint(workers: number): void {
    this.#workers.hint(workers);
  }

  /** Counts models loaded, failed to load and unloaded (idle, evicted, shutdown), by model. */
  get modelEvents(): ModelEvents {
    return this.#modelEvents;
  }

  /** The server's request slots: the server-wide limits with several models, else the model's. */
  #serverController(): ControllerStats | undefined {
    const models = this.#models;
    return models?.global?.stats() ?? models?.defaultEntry.reranker?.stats().controller;
  }

  /** The load a server publishes with its registry heartbeat (GET /metrics/cluster sizes the cluster with it). */
  heartbeatLoad(): { active: number; waiting: number; max_parallel?: number } {
    const stats = this.#serverController();
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
    const labels = { model: cost.model };
    this.#queue.observe(labels, cost.queueMs / 1000);
    this.#inference.observe(labels, cost.inferenceMs / 1000);
    this.#documents.observe(labels, cost.documents);
    this.#requestTokens.observe(labels, cost.tokens);
    this.totals.recordDocuments(cost.documents);
  }

  /**
   * Wraps backends so every model run records its rows and padded tokens under `model` (default: the
   * default model's name, known once loaded).
   */
  instrument(candidates: readonly BackendCandidate[], model?: string): BackendCandidate[] {
    const label = () => ({ model: model ?? this.#models?.defaultEntry.name ?? 'unknown' });
    return candidates.map((candidate) => ({
      name: candidate.name,
      load: async (options) => {
        const backend = await candidate.load(options);
        const key = {};
        this.#workers.byModel.set(key, Math.max(1, backend.concurrency ?? 1));
        const run: typeof backend.run = async (batch, runOptions) => {
          const done = this.#workers.start();
          try {
            const logits = await backend.run(batch, runOptions);
            this.#batchRows.observe(label(), batch.rows);
            this.#batchTokens.observe(label(), batch.rows * batch.width);
            return logits;
          } finally {
            done();
          }
        };
        const dispose: typeof backend.dispose = () => {
          this.#workers.byModel.delete(key);
          return backend.dispose();
        };
        // A proxy keeps the backend's own getters (device, concurrency) and methods intact.
        return new Proxy(backend, {
          get(target, key) {
            if (key === 'run') return run;
            if (key === 'dispose') return dispose;
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
