import {
  ConcurrencyController,
  type ConcurrencyOptions,
  errorMessage,
  type Logger,
  MetricsRecorder,
  type UnifiedReRanker,
} from '@reranker/core';
import { HttpError } from '../errors';
import { planRoom, waitForLoad } from './budget';
import { ModelEntry, type ModelLease } from './entry';
import type { ModelLoader } from './factory';
import type { ModelSpec } from './spec';

/** Why a model left memory. */
export type UnloadReason = 'idle' | 'evicted' | 'shutdown';

/** What the registry reports to the metrics. */
export interface ModelEvents {
  loaded?(model: string, seconds: number, bytes: number | undefined): void;
  loadFailed?(model: string): void;
  unloaded?(model: string, reason: UnloadReason): void;
}

export interface RegistryOptions {
  logger: Logger;
  /** Warm each model up once loaded. @default false */
  warmup?: boolean;
  /** Longest wait of a request for a model to load, in ms (the queue timeout). @default 30000 */
  loadWaitMs?: number;
  /** Unload a model unused this long, in ms; 0 never. @default 0 */
  idleUnloadMs?: number;
  /** Most weight bytes resident at once; 0 is unbounded. @default 0 */
  memoryBudgetBytes?: number;
  /** The server-wide request limits every model's requests pass too (several models only). */
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
  /** Server-wide limits beside each model's own (several models only). */
  readonly global: ConcurrencyController | undefined;
  /** Request metrics of all models together (kept across unloads). */
  readonly stats = new MetricsRecorder();
  readonly #options: RegistryOptions;
  readonly #loader: ModelLoader | undefined;
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
    this.global = loader && options.global ? new ConcurrencyController(options.global) : undefined;
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
        entry.reranker = await this.#single;
        entry.info = await entry.reranker.info();
        if (this.#options.warmup) {
          warming?.();
          await entry.reranker.warmup();
        }
        entry.state = 'loaded';
      } catch (error) {
        entry.state = 'failed';
        entry.failure = errorMessage(error);
        throw error;
      }
      return;
    }
    await Promise.all(this.entries.filter((e) => e.spec.preload).map((e) => this.#ensureLoading(e)));
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
    entry.users++;
    this.#cancelIdle(entry);
    try {
      // A model can be evicted between its load and this request's turn only if nobody waits for it,
      // and this request counts in `users` from the start, so one round is enough; two for safety.
      for (let round = 0; entry.state !== 'loaded' && round < 2; round++) {
        await waitForLoad(entry.name, this.#ensureLoading(entry), this.#options.loadWaitMs ?? 30_000, signal);
      }
      if (entry.state !== 'loaded')
        throw new HttpError(503, 'LOADING', `Model "${entry.name}" is not loaded; retry.`, { retryAfter: 1 });
    } catch (error) {
      this.#release(entry);
      throw error;
    }
    entry.lastUsedAt = performance.now();
    return entry.lease(() => this.#release(entry));
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
    await Promise.all(
      this.entries.map(async (e) => {
        await e.loading?.catch(() => {});
        if (e.reranker) await this.#unload(e, 'shutdown');
      }),
    );
  }

  #ensureLoading(entry: ModelEntry): Promise<void> {
    if (entry.state === 'loaded') return Promise.resolve();
    entry.loading ??= this.#load(entry).finally(() => {
      entry.loading = undefined;
    });
    return entry.loading;
  }

  async #load(entry: ModelEntry): Promise<void> {
    const { logger } = this.#options;
    const previous = entry.state;
    entry.state = 'loading';
    entry.failure = undefined;
    try {
      // Room is made for the known or estimated size before loading, and checked again once measured.
      await this.#makeRoom(entry, entry.bytes ?? 0);
    } catch (error) {
      entry.state = previous === 'failed' ? 'failed' : 'unloaded';
      throw error;
    }
    const started = performance.now();
    logger.info({ model: entry.name, source: entry.spec.source }, `loading model ${entry.name}`);
    let reranker: UnifiedReRanker | undefined;
    try {
      const loaded = await this.#loader!.load(entry.spec);
      reranker = loaded.reranker;
      if (this.#options.warmup) await reranker.warmup();
      entry.info = await reranker.info();
      entry.bytes = loaded.bytes ?? entry.bytes;
      await this.#makeRoom(entry, entry.bytes ?? 0);
    } catch (error) {
      await reranker?.dispose().catch(() => {});
      if (error instanceof HttpError && error.code === 'OVER_MEMORY_BUDGET') {
        // Not a broken model: it may fit later.
        entry.state = 'unloaded';
        throw error;
      }
      entry.state = 'failed';
      entry.failure = errorMessage(error);
      logger.error({ model: entry.name }, `model ${entry.name} failed to load: ${entry.failure}`);
      for (const e of this.#events) e.loadFailed?.(entry.name);
      if (error instanceof HttpError) throw error;
      throw new HttpError(503, 'UNHEALTHY', `Model "${entry.name}" failed to load: ${entry.failure}.`, {
        retryAfter: 5,
      });
    }
    entry.reranker = reranker;
    entry.state = 'loaded';
    entry.loads++;
    entry.lastUsedAt = performance.now();
    const seconds = (performance.now() - started) / 1000;
    logger.info(
      { model: entry.name, bytes: entry.bytes, seconds: Math.round(seconds * 1000) / 1000 },
      `loaded model ${entry.name}`,
    );
    for (const e of this.#events) e.loaded?.(entry.name, seconds, entry.bytes);
    if (entry.users === 0) this.#scheduleIdle(entry);
  }

  /**
   * Evicts least recently used idle models until `bytes` more fit in the budget, or refuses with 503
   * (see `budget.ts`). Victims are detached synchronously, so two loads at once never count the same
   * free bytes.
   */
  async #makeRoom(entry: ModelEntry, bytes: number): Promise<void> {
    const budget = this.#options.memoryBudgetBytes ?? 0;
    if (budget <= 0) return;
    const plan = planRoom(this.entries, entry, bytes, budget);
    for (const victim of plan.victims) this.#detach(victim);
    await Promise.all(plan.victims.map((v) => this.#finishUnload(v, 'evicted')));
    if (plan.refusal) throw plan.refusal;
  }

  #release(entry: ModelEntry): void {
    entry.users--;
    entry.lastUsedAt = performance.now();
    if (entry.users === 0) this.#scheduleIdle(entry);
  }

  #scheduleIdle(entry: ModelEntry): void {
    const ms = this.#options.idleUnloadMs ?? 0;
    if (ms <= 0 || entry.pinned || entry.state !== 'loaded') return;
    this.#cancelIdle(entry);
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.users === 0 && entry.state === 'loaded') void this.#unload(entry, 'idle');
    }, ms);
    entry.idleTimer.unref();
  }

  #cancelIdle(entry: ModelEntry): void {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  async #unload(entry: ModelEntry, reason: UnloadReason): Promise<void> {
    this.#detach(entry);
    await this.#finishUnload(entry, reason);
  }

  /** Takes the model out of service at once: new requests start a new load. */
  #detach(entry: ModelEntry): void {
    this.#cancelIdle(entry);
    entry.state = 'unloaded';
  }

  /** Disposes a detached model's reranker (its running requests finish first), logs and counts it. */
  async #finishUnload(entry: ModelEntry, reason: UnloadReason): Promise<void> {
    const reranker = entry.reranker;
    entry.reranker = undefined;
    entry.unloads++;
    this.#options.logger.info({ model: entry.name, reason }, `unloaded model ${entry.name} (${reason})`);
    for (const e of this.#events) e.unloaded?.(entry.name, reason);
    await reranker?.dispose().catch((error: unknown) => {
      this.#options.logger.warn(`disposing model ${entry.name} failed: ${errorMessage(error)}`);
    });
  }
}
