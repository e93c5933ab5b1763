import {
  type ComputeBudget,
  type ConcurrencyOptions,
  errorMessage,
  FairConcurrency,
  type MetricsRecorder,
  type UnifiedReRanker,
} from '@reranker/core';
import { HttpError } from '../errors';
import { addBatches, NO_BATCHES, ServedMetrics } from './batch-totals';
import { waitForLoad } from './budget';
import { ModelEntry, type ModelLease } from './entry';
import type { ModelLoader } from './factory';
import { type LifecycleOptions, type ModelEvents, ModelLifecycle } from './lifecycle';
import type { ModelSpec } from './spec';

export type { ModelEvents, UnloadReason } from './lifecycle';

export interface RegistryOptions extends LifecycleOptions {
  /** Longest wait of a request for a model to load, in ms (the queue timeout). @default 30000 */
  loadWaitMs?: number;
  /**
   * The server-wide request limits (several models only): every model's engine takes its request
   * slots from one share of them, with the model's own `maxParallel` / `maxQueue`.
   */
  global?: ConcurrencyOptions;
  events?: ModelEvents;
}

/**
 * The served models by name: loads them on first use (one load shared by the requests that wait for
 * it) or at start (`preload`), unloads them after MODEL_IDLE_UNLOAD_SECONDS unused, and keeps their
 * weights within MODEL_MEMORY_BUDGET_MB by evicting the least recently used idle model. Every
 * reranker is created by the one `ModelLoader`. With RERANKER_MODEL alone it holds that one model,
 * pinned, and requests during its load get 503 as before.
 */
export class ModelRegistry {
  readonly entries: ModelEntry[];
  readonly defaultEntry: ModelEntry;
  /**
   * The server-wide request slots, shared fairly by the models (several models only): each loaded
   * engine holds a share with its model's own limits.
   */
  readonly global: FairConcurrency | undefined;
  /** Request metrics of all models together (kept across unloads), with every engine's batches. */
  readonly stats: MetricsRecorder = new ServedMetrics(() =>
    this.entries.reduce((sum, e) => addBatches(sum, e.batchTotals()), NO_BATCHES),
  );
  readonly #options: RegistryOptions;
  readonly #loader: ModelLoader | undefined;
  readonly #lifecycle: ModelLifecycle;
  readonly #single: Promise<UnifiedReRanker> | undefined;
  readonly #events: ModelEvents[] = [];

  private constructor(
    entries: ModelEntry[],
    defaultEntry: ModelEntry,
    options: RegistryOptions,
    loader?: ModelLoader,
    single?: Promise<UnifiedReRanker>,
  ) {
    this.entries = entries;
    this.defaultEntry = defaultEntry;
    this.#options = options;
    this.#loader = loader;
    this.#single = single;
    if (options.events) this.#events.push(options.events);
    this.global = loader && options.global ? new FairConcurrency(options.global) : undefined;
    this.#lifecycle = new ModelLifecycle(entries, loader, options, this.#events, this.global);
  }

  /** Several models from RERANKER_MODELS / RERANKER_MODELS_FILE; `defaultModel` names one of them. */
  static of(
    specs: ModelSpec[],
    loader: ModelLoader,
    defaultModel: string | undefined,
    options: RegistryOptions,
  ) {
    const entries = specs.map((spec) => new ModelEntry(spec));
    const first = entries.find((e) => e.name === defaultModel) ?? entries[0]!;
    for (const entry of entries) entry.bytes = loader.estimate(entry.spec);
    return new ModelRegistry(entries, first, options, loader);
  }

  /** The one model of RERANKER_MODEL (or an engine given to `createApp`), named from its info. */
  static single(reranker: UnifiedReRanker | Promise<UnifiedReRanker>, options: RegistryOptions) {
    const entry = new ModelEntry({ name: '', source: '', aliases: [], preload: true }, true);
    return new ModelRegistry([entry], entry, options, undefined, Promise.resolve(reranker));
  }

  /** Sends load and unload events to `events` too (the metrics), beside the ones given at creation. */
  observe(events: ModelEvents): void {
    this.#events.push(events);
  }

  /** The compute budget every model's engine shares (several models), for its stats. */
  get computeBudget(): ComputeBudget | undefined {
    return this.#loader?.computeBudget;
  }

  /** Whether several models are configured (RERANKER_MODELS or RERANKER_MODELS_FILE). */
  get multi(): boolean {
    return this.#loader !== undefined;
  }

  /** The model named exactly `name` (case-insensitively). */
  find(name: string): ModelEntry | undefined {
    const wanted = name.toLowerCase();
    return this.entries.find((e) => e.name.toLowerCase() === wanted);
  }

  /** Loads the preloaded models; rejects when one fails. `warming` is called before warm-up. */
  async start(warming?: () => void): Promise<void> {
    if (this.#single) {
      const entry = this.defaultEntry;
      entry.state = 'loading';
      try {
        const reranker = await this.#single;
        entry.attach(reranker);
        entry.info = await reranker.info();
        if (this.#options.warmup) {
          warming?.();
          await reranker.warmup();
        }
        entry.state = 'loaded';
      } catch (error) {
        entry.state = 'failed';
        entry.failure = errorMessage(error);
        throw error;
      }
      return;
    }
    const lifecycle = this.#lifecycle;
    await Promise.all(this.entries.filter((e) => e.spec.preload).map((e) => lifecycle.ensureLoading(e)));
  }

  /**
   * The loaded model for a request, loading it first if needed (the request waits at most the queue
   * timeout; the load goes on). 503 when it cannot load or fit in the memory budget.
   */
  async acquire(entry: ModelEntry, signal?: AbortSignal): Promise<ModelLease> {
    if (!this.multi) {
      // RERANKER_MODEL alone: as before, 503 while loading or after a failed start.
      if (entry.failure !== undefined) {
        throw new HttpError(503, 'UNHEALTHY', `The model failed to start: ${entry.failure}.`);
      }
      if (!entry.reranker || !entry.info) {
        throw new HttpError(503, 'LOADING', 'The model is still loading; retry in a few seconds.', {
          retryAfter: 5,
        });
      }
      entry.users++;
      return entry.lease(() => entry.users--);
    }
    const lifecycle = this.#lifecycle;
    entry.users++;
    lifecycle.cancelIdle(entry);
    try {
      // A model can be evicted between its load and this request's turn only if nobody waits for it,
      // and this request counts in `users` from the start, so one round is enough; two for safety.
      for (let round = 0; entry.state !== 'loaded' && round < 2; round++) {
        const loading = lifecycle.ensureLoading(entry);
        await waitForLoad(entry.name, loading, this.#options.loadWaitMs ?? 30_000, signal);
      }
      if (entry.state !== 'loaded')
        throw new HttpError(503, 'LOADING', `Model "${entry.name}" is not loaded; retry.`, { retryAfter: 1 });
    } catch (error) {
      lifecycle.release(entry);
      throw error;
    }
    entry.lastUsedAt = performance.now();
    return entry.lease(() => lifecycle.release(entry));
  }

  /** Bytes of the models loaded or loading. */
  residentBytes(): number {
    return this.entries.reduce(
      (sum, e) => sum + (e.state === 'loaded' || e.state === 'loading' ? (e.bytes ?? 0) : 0),
      0,
    );
  }

  /** Unloads every model (shutdown); running requests finish first. */
  async dispose(): Promise<void> {
    const lifecycle = this.#lifecycle;
    await Promise.all(
      this.entries.map(async (e) => {
        await e.loading?.catch(() => {});
        if (e.reranker) await lifecycle.unload(e, 'shutdown');
      }),
    );
  }
}
