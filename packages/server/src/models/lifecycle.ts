import { errorMessage, type FairConcurrency, type Logger, type UnifiedReRanker } from '@reranker/core';
import { HttpError } from '../errors';
import { planRoom } from './budget';
import type { ModelEntry } from './entry';
import type { ModelLoader } from './factory';

/** Why a model left memory. */
export type UnloadReason = 'idle' | 'evicted' | 'shutdown';

/** What the registry reports to the metrics. */
export interface ModelEvents {
  loaded?(model: string, seconds: number, bytes: number | undefined): void;
  loadFailed?(model: string): void;
  unloaded?(model: string, reason: UnloadReason): void;
}

export interface LifecycleOptions {
  logger: Logger;
  /** Warm each model up once loaded. @default false */
  warmup?: boolean;
  /** Unload a model unused this long, in ms; 0 never. @default 0 */
  idleUnloadMs?: number;
  /** Most weight bytes resident at once; 0 is unbounded. @default 0 */
  memoryBudgetBytes?: number;
}

/**
 * Moves the models of RERANKER_MODELS in and out of memory: one load at a time per model (shared by
 * the requests waiting for it), unload after MODEL_IDLE_UNLOAD_SECONDS unused, and eviction of the
 * least recently used idle models to stay within MODEL_MEMORY_BUDGET_MB. Loading, unloading and
 * eviction are logged and reported to `events`.
 */
export class ModelLifecycle {
  constructor(
    private readonly entries: readonly ModelEntry[],
    /** Undefined with RERANKER_MODEL alone (its one engine is given, never loaded here). */
    private readonly loader: ModelLoader | undefined,
    private readonly options: LifecycleOptions,
    private readonly events: readonly ModelEvents[],
    /** The server-wide request slots each loaded engine takes a share of (several models). */
    private readonly slots?: FairConcurrency,
  ) {}

  /** The model's load: the one in progress, a new one, or nothing when loaded. */
  ensureLoading(entry: ModelEntry): Promise<void> {
    if (entry.state === 'loaded') return Promise.resolve();
    entry.loading ??= this.#load(entry).finally(() => {
      entry.loading = undefined;
    });
    return entry.loading;
  }

  /** A request stopped holding or waiting for the model: the idle clock starts when none does. */
  release(entry: ModelEntry): void {
    entry.users--;
    entry.lastUsedAt = performance.now();
    if (entry.users === 0) this.#scheduleIdle(entry);
  }

  cancelIdle(entry: ModelEntry): void {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
  }

  async unload(entry: ModelEntry, reason: UnloadReason): Promise<void> {
    this.#detach(entry);
    await this.#finishUnload(entry, reason);
  }

  async #load(entry: ModelEntry): Promise<void> {
    const { logger } = this.options;
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
      // A share per engine, not per model: an unloaded engine drains its own requests only.
      const { maxParallel, maxQueue } = entry.spec;
      const share = this.slots?.share(entry.name, { maxParallel, maxQueue });
      const loaded = await this.loader!.load(entry.spec, share);
      reranker = loaded.reranker;
      if (this.options.warmup) await reranker.warmup();
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
      for (const e of this.events) e.loadFailed?.(entry.name);
      if (error instanceof HttpError) throw error;
      throw new HttpError(503, 'UNHEALTHY', `Model "${entry.name}" failed to load: ${entry.failure}.`, {
        retryAfter: 5,
      });
    }
    entry.attach(reranker);
    entry.state = 'loaded';
    entry.loads++;
    entry.lastUsedAt = performance.now();
    const seconds = (performance.now() - started) / 1000;
    logger.info(
      { model: entry.name, bytes: entry.bytes, seconds: Math.round(seconds * 1000) / 1000 },
      `loaded model ${entry.name}`,
    );
    for (const e of this.events) e.loaded?.(entry.name, seconds, entry.bytes);
    if (entry.users === 0) this.#scheduleIdle(entry);
  }

  /**
   * Evicts least recently used idle models until `bytes` more fit in the budget, or refuses with 503
   * (see `budget.ts`). Victims are detached synchronously, so two loads at once never count the same
   * free bytes.
   */
  async #makeRoom(entry: ModelEntry, bytes: number): Promise<void> {
    const budget = this.options.memoryBudgetBytes ?? 0;
    if (budget <= 0) return;
    const plan = planRoom(this.entries, entry, bytes, budget);
    for (const victim of plan.victims) this.#detach(victim);
    await Promise.all(plan.victims.map((v) => this.#finishUnload(v, 'evicted')));
    if (plan.refusal) throw plan.refusal;
  }

  #scheduleIdle(entry: ModelEntry): void {
    const ms = this.options.idleUnloadMs ?? 0;
    if (ms <= 0 || entry.pinned || entry.state !== 'loaded') return;
    this.cancelIdle(entry);
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = undefined;
      if (entry.users === 0 && entry.state === 'loaded') void this.unload(entry, 'idle');
    }, ms);
    entry.idleTimer.unref();
  }

  /** Takes the model out of service at once: new requests start a new load. */
  #detach(entry: ModelEntry): void {
    this.cancelIdle(entry);
    entry.state = 'unloaded';
  }

  /** Disposes a detached model's reranker (its running requests finish first), logs and counts it. */
  async #finishUnload(entry: ModelEntry, reason: UnloadReason): Promise<void> {
    const reranker = entry.detachReranker();
    entry.unloads++;
    this.options.logger.info({ model: entry.name, reason }, `unloaded model ${entry.name} (${reason})`);
    for (const e of this.events) e.unloaded?.(entry.name, reason);
    if (!reranker) return;
    await reranker.dispose().catch((error: unknown) => {
      this.options.logger.warn(`disposing model ${entry.name} failed: ${errorMessage(error)}`);
    });
    entry.retire(reranker);
  }
}
