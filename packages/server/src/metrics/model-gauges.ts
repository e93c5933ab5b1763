import type { ControllerStats, UnifiedReRanker } from '@reranker/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ModelEvents, ModelRegistry } from '../models/registry';
import { DEMAND_TIME_CONSTANT_S, type LoadTracker } from './load';

export interface GaugeSources {
  models: () => ModelRegistry | undefined;
  /** The server's request slots (server-wide limits with several models, else the model's). */
  server: () => ControllerStats | undefined;
  lanes: () => number;
  inflight: LoadTracker;
}

/**
 * A gauge with a `model` label, set afresh at each scrape from `values` (model name, value). Values
 * of one name are summed: a draining engine and its reloaded successor may share one for a moment.
 */
export function modelGauge(
  registers: Registry[],
  name: string,
  help: string,
  values: () => Iterable<readonly [model: string, value: number]>,
): Gauge {
  return new Gauge({
    name,
    help,
    labelNames: ['model'],
    registers,
    collect() {
      this.reset();
      for (const [model, value] of values()) this.inc({ model }, value);
    },
  });
}

/**
 * The gauges and engine counters read at scrape time: per model (`model` label) the queue, the cache
 * and whether it is loaded; server-wide the saturation and autoscaling signals.
 */
export function defineModelGauges(registers: Registry[], sources: GaugeSources): void {
  const loadedModels = () =>
    (sources.models()?.entries ?? []).flatMap((e) =>
      e.reranker ? [{ name: e.name, reranker: e.reranker }] : [],
    );
  const perModel = (name: string, help: string, read: (reranker: UnifiedReRanker) => number) =>
    modelGauge(registers, name, help, () =>
      loadedModels().map(({ name: model, reranker }) => [model, read(reranker)] as const),
    );
  perModel(
    'reranker_queue_depth',
    'Rerank requests waiting for a slot of the model.',
    (r) => r.stats().controller.waiting,
  );
  perModel(
    'reranker_active_requests',
    'Rerank requests of the model computing now.',
    (r) => r.stats().controller.active,
  );
  const entries = () => sources.models()?.entries ?? [];
  modelGauge(registers, 'reranker_model_loaded', 'Whether the model is loaded (1) or not (0).', () =>
    entries().map((e) => [e.name, e.state === 'loaded' ? 1 : 0] as const),
  );
  modelGauge(
    registers,
    'reranker_model_resident_bytes',
    'Weight bytes of the loaded model (its ONNX file for the dtype in use), counted by MODEL_MEMORY_BUDGET_MB.',
    () => entries().flatMap((e) => (e.state === 'loaded' ? [[e.name, e.bytes ?? 0] as const] : [])),
  );
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  // Autoscaling signals (server README, "Autoscaling signals"): server-wide, each read at scrape time.
  gauge(
    'reranker_saturation',
    'Rerank requests running and waiting, divided by MAX_PARALLEL_REQUESTS (1 = every slot busy, above 1 = a queue).',
    () => {
      const stats = sources.server();
      return stats ? (stats.active + stats.waiting) / stats.max_parallel : 0;
    },
  );
  gauge(
    'reranker_max_parallel_requests',
    'Rerank requests this server runs at once (MAX_PARALLEL_REQUESTS).',
    () => sources.server()?.max_parallel ?? 0,
  );
  gauge(
    'reranker_max_queue_size',
    'Rerank requests allowed to wait for a slot (MAX_QUEUE_SIZE).',
    () => sources.server()?.max_queue ?? 0,
  );
  gauge(
    'reranker_workers',
    'Inference workers (batches the backends run at once) of the loaded models; 0 while none is loaded.',
    () => (loadedModels().length > 0 ? sources.lanes() : 0),
  );
  gauge(
    'reranker_inflight_documents',
    'Documents of the rerank requests waiting or computing now.',
    () => sources.inflight.inflightDocuments,
  );
  gauge(
    'reranker_inflight_tokens',
    'Model tokens of the documents in flight, estimated from the mean tokens per document scored so far.',
    () => sources.inflight.inflightTokens,
  );
  gauge(
    'reranker_demand_documents_per_second',
    `Documents offered per second (refused ones included), exponentially smoothed over ${DEMAND_TIME_CONSTANT_S} s.`,
    () => sources.inflight.demandRate(),
  );
  // Lifetime totals from each engine's snapshot, exposed as counters by adding what changed (a model
  // loaded again starts from 0: its new engine is counted from there).
  const engineCounter = (name: string, help: string, key: 'cache_hits' | 'cache_misses') => {
    const seen = new WeakMap<UnifiedReRanker, number>();
    return new Counter({
      name,
      help,
      labelNames: ['model'],
      registers,
      collect() {
        for (const { name: model, reranker } of loadedModels()) {
          const total = reranker.stats().metrics[key];
          const before = seen.get(reranker) ?? 0;
          if (total > before) this.inc({ model }, total - before);
          seen.set(reranker, total);
        }
      },
    });
  };
  engineCounter('reranker_cache_hits_total', 'Pairs answered by the score cache.', 'cache_hits');
  engineCounter('reranker_cache_misses_total', 'Pairs the score cache did not hold.', 'cache_misses');
}

/** Counters of model loads and unloads, fed by the registry's events. */
export function modelEventCounters(registers: Registry[]): ModelEvents {
  const loads = new Counter({
    name: 'reranker_model_loads_total',
    help: 'Model loads, by model and result (loaded, failed).',
    labelNames: ['model', 'result'],
    registers,
  });
  const unloads = new Counter({
    name: 'reranker_model_unloads_total',
    help: 'Models taken out of memory, by model and reason (idle, evicted, shutdown).',
    labelNames: ['model', 'reason'],
    registers,
  });
  return {
    loaded: (model) => loads.inc({ model, result: 'loaded' }),
    loadFailed: (model) => loads.inc({ model, result: 'failed' }),
    unloaded: (model, reason) => unloads.inc({ model, reason }),
  };
}
