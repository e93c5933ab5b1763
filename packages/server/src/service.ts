import type { ControllerStats, RerankerInfo, UnifiedReRanker } from '@reranker/core';
import { errorMessage, type Logger } from '@reranker/core';
import { HttpError } from './errors';
import type { ModelEntry, ModelLease } from './models/entry';
import type { ModelRegistry } from './models/registry';

/**
 * Where the service is in its life: loading the preloaded models, warming them up, serving, draining
 * for shutdown, or failed (a preloaded model or its warm-up failed; only liveness answers 200 then).
 */
export type Phase = 'loading' | 'warming' | 'ready' | 'draining' | 'failed';

export interface ServiceOptions {
  models: ModelRegistry;
  logger: Logger;
}

/**
 * Owns the served models for the app: loads the preloaded ones (the bin listens meanwhile, so
 * /health can say "loading"), and tells routes whether they may run. `reranker`, `info` and
 * `modelName` are the default model's.
 */
export class Service {
  phase: Phase = 'loading';
  failure: string | undefined;
  readonly models: ModelRegistry;
  /** Resolves when the preloaded models are loaded (and warmed, if asked); rejects when one fails. */
  readonly ready: Promise<void>;

  constructor(options: ServiceOptions) {
    this.models = options.models;
    this.ready = this.#start(options.logger);
    // The bin awaits `ready` and exits on failure; tests may not await it at all.
    this.ready.catch(() => {});
  }

  async #start(logger: Logger): Promise<void> {
    try {
      await this.models.start(() => {
        if (this.phase === 'loading') this.phase = 'warming';
      });
      if (this.phase === 'loading' || this.phase === 'warming') this.phase = 'ready';
    } catch (error) {
      if (this.phase !== 'draining') this.phase = 'failed';
      this.failure = errorMessage(error);
      logger.error(`model failed to start: ${this.failure}`);
      throw error;
    }
  }

  /** The default model's reranker while loaded. */
  get reranker(): UnifiedReRanker | undefined {
    return this.models.defaultEntry.reranker;
  }

  /** Static facts about the default model (cache size is as of load; call `reranker.info()` for now). */
  get info(): RerankerInfo | undefined {
    return this.models.defaultEntry.info;
  }

  /** The default model's name as clients see it in `model` (never a server path). */
  get modelName(): string {
    return this.models.defaultEntry.name;
  }

  /**
   * Whether a rerank request may start: a 503 while draining, and with RERANKER_MODEL alone while the
   * model loads or after it failed (with several models, requests wait for their model instead).
   */
  require(): void {
    if (this.phase === 'draining') {
      throw new HttpError(503, 'SHUTTING_DOWN', 'The server is shutting down; retry on another instance.', {
        retryAfter: 1,
      });
    }
    if (!this.models.multi) this.loaded();
  }

  /** The model for a request (already resolved by name), loaded and held until the lease is released. */
  lease(entry: ModelEntry, signal?: AbortSignal): Promise<ModelLease> {
    this.require();
    return this.models.acquire(entry, signal);
  }

  /**
   * The request slots admission control reads: the server-wide limits with several models, else the
   * model's own; throws the 503 that applies while none can be taken (loading, draining).
   */
  admissionStats(): ControllerStats {
    this.require();
    return this.models.global?.stats() ?? this.loaded().controllerStats();
  }

  /** The default model's loaded reranker (for info and metrics, which still answer while draining), or a 503. */
  loaded(): UnifiedReRanker {
    if (this.failure !== undefined) {
      throw new HttpError(503, 'UNHEALTHY', `The model failed to start: ${this.failure}.`);
    }
    const reranker = this.reranker;
    // Warm-up only makes the first request faster, so requests are served while it runs.
    if (!reranker || !this.info) {
      throw new HttpError(503, 'LOADING', 'The model is still loading; retry in a few seconds.', {
        retryAfter: 5,
      });
    }
    return reranker;
  }

  /** Readiness turns 503 and new rerank requests are refused; running ones finish. */
  beginShutdown(): void {
    this.phase = 'draining';
  }

  /** Unloads every model; running requests finish first. */
  dispose(): Promise<void> {
    return this.models.dispose();
  }
}
