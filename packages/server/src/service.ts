import { basename } from 'node:path';
import { errorMessage, type Logger, type RerankerInfo, type UnifiedReRanker } from '@reranker/core';
import { HttpError } from './errors';

/**
 * Where the service is in its life: loading the model, warming it up, serving, draining for
 * shutdown, or failed (model or warm-up failed; only liveness answers 200 then).
 */
export type Phase = 'loading' | 'warming' | 'ready' | 'draining' | 'failed';

export interface ServiceOptions {
  reranker: UnifiedReRanker | Promise<UnifiedReRanker>;
  warmup: boolean;
  logger: Logger;
}

/**
 * Owns the reranker for the app: resolves it (the bin listens while the model loads, so /health can
 * say "loading"), warms it up, and tells routes whether they may use it.
 */
export class Service {
  phase: Phase = 'loading';
  failure: string | undefined;
  /** Resolves when the model is loaded (and warmed, if asked); rejects when either fails. */
  readonly ready: Promise<void>;
  #reranker: UnifiedReRanker | undefined;
  #info: RerankerInfo | undefined;

  constructor(options: ServiceOptions) {
    this.ready = this.#start(options);
    // The bin awaits `ready` and exits on failure; tests may not await it at all.
    this.ready.catch(() => {});
  }

  async #start({ reranker, warmup, logger }: ServiceOptions): Promise<void> {
    try {
      this.#reranker = await reranker;
      this.#info = await this.#reranker.info();
      if (warmup && this.phase === 'loading') {
        this.phase = 'warming';
        await this.#reranker.warmup();
      }
      if (this.phase === 'loading' || this.phase === 'warming') this.phase = 'ready';
    } catch (error) {
      if (this.phase !== 'draining') this.phase = 'failed';
      this.failure = errorMessage(error);
      logger.error(`model failed to start: ${this.failure}`);
      throw error;
    }
  }

  /** The reranker, loaded or not (undefined while loading). */
  get reranker(): UnifiedReRanker | undefined {
    return this.#reranker;
  }

  /** Static facts about the loaded model (cache size is as of load; call `reranker.info()` for now). */
  get info(): RerankerInfo | undefined {
    return this.#info;
  }

  /**
   * The name clients see in `model`: the hub id, or the folder name of a local model (never the
   * server's file system path).
   */
  get modelName(): string {
    const info = this.#info;
    if (!info) return 'unknown';
    return info.source.startsWith('local:') ? basename(info.model.replace(/[\\/]+$/, '')) : info.model;
  }

  /** The reranker for a rerank request, or a 503 saying why it cannot run now (also while draining). */
  require(): UnifiedReRanker {
    if (this.phase === 'draining') {
      throw new HttpError(503, 'SHUTTING_DOWN', 'The server is shutting down; retry on another instance.', {
        retryAfter: 1,
      });
    }
    return this.loaded();
  }

  /** The loaded reranker (for info and metrics, which still answer while draining), or a 503. */
  loaded(): UnifiedReRanker {
    if (this.failure !== undefined) {
      throw new HttpError(503, 'UNHEALTHY', `The model failed to start: ${this.failure}.`);
    }
    // Warm-up only makes the first request faster, so requests are served while it runs.
    if (!this.#reranker) {
      throw new HttpError(503, 'LOADING', 'The model is still loading; retry in a few seconds.', {
        retryAfter: 5,
      });
    }
    return this.#reranker;
  }

  /** Readiness turns 503 and new rerank requests are refused; running ones finish. */
  beginShutdown(): void {
    this.phase = 'draining';
  }
}
