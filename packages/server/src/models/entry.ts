import { basename } from 'node:path';
import type { MetricsRecorder, RerankerInfo, UnifiedReRanker } from '@reranker/core';
import type { TokenWindow } from '../chunking';
import { addBatches, type BatchTotals, engineBatches, NO_BATCHES, ServedMetrics } from './batch-totals';
import type { ModelSpec } from './spec';

/** Where a model is in its life: not in memory, loading, serving, or its last load failed. */
export type ModelState = 'unloaded' | 'loading' | 'loaded' | 'failed';

/** A loaded model as a request uses it, held until `release()`. */
export interface ModelLease {
  readonly name: string;
  readonly reranker: UnifiedReRanker;
  readonly info: RerankerInfo;
  readonly window: TokenWindow;
  /** The per-model request metrics the request records into. */
  readonly stats: MetricsRecorder;
  release(): void;
}

/**
 * One served model: its settings, its state, and the reranker while loaded. The registry drives its
 * loading and unloading; the entry counts the requests that hold or wait for it (never unloaded then).
 */
export class ModelEntry {
  state: ModelState = 'unloaded';
  failure: string | undefined;
  reranker: UnifiedReRanker | undefined;
  info: RerankerInfo | undefined;
  /** Measured weight bytes of the last load, or the estimate before the first. */
  bytes: number | undefined;
  /** The load in progress, shared by every request that waits for it. */
  loading: Promise<void> | undefined;
  /** Requests holding or waiting for the model. */
  users = 0;
  lastUsedAt = performance.now();
  idleTimer: NodeJS.Timeout | undefined;
  /** Request metrics of this model since start (kept across unloads), with its engines' batches. */
  readonly stats: MetricsRecorder = new ServedMetrics(() => this.batchTotals());
  loads = 0;
  unloads = 0;
  /** The engines serving or draining (unloaded, running requests finishing), whose batches count live. */
  readonly #engines = new Set<UnifiedReRanker>();
  /** Batches of the engines disposed before. */
  #retired: BatchTotals = NO_BATCHES;

  constructor(
    readonly spec: ModelSpec,
    /** Never unloaded nor evicted (RERANKER_MODEL alone). */
    readonly pinned = false,
  ) {}

  /**
   * The name clients use. A pinned model given by RERANKER_MODEL alone is named as before: its hub id,
   * or the folder name of a local model (never the server's file system path).
   */
  get name(): string {
    if (this.spec.name) return this.spec.name;
    const info = this.info;
    if (!info) return 'unknown';
    return info.source.startsWith('local:') ? basename(info.model.replace(/[\\/]+$/, '')) : info.model;
  }

  /** Every name that selects this model: its name, aliases, and for hub models the id and its last part. */
  names(): string[] {
    const out = new Set<string>([this.name, ...this.spec.aliases]);
    const info = this.info;
    // A local model's id is a server path: never a name.
    const id = this.spec.name
      ? isHubId(this.spec.source)
        ? this.spec.source
        : undefined
      : info && !info.source.startsWith('local:')
        ? info.model
        : undefined;
    if (id) {
      out.add(id);
      out.add(id.split('/').at(-1)!);
    }
    out.delete('unknown');
    return [...out];
  }

  /** Puts a loaded engine in service. */
  attach(reranker: UnifiedReRanker): void {
    this.reranker = reranker;
    this.#engines.add(reranker);
  }

  /** Takes the engine out of service (new requests load another); `retire` it once disposed. */
  detachReranker(): UnifiedReRanker | undefined {
    const reranker = this.reranker;
    this.reranker = undefined;
    return reranker;
  }

  /** A disposed engine's batches, kept in the model's totals. */
  retire(reranker: UnifiedReRanker): void {
    if (!this.#engines.delete(reranker)) return;
    this.#retired = addBatches(this.#retired, engineBatches(reranker));
  }

  /** Batches of every engine this model has had since start. */
  batchTotals(): BatchTotals {
    let totals = this.#retired;
    for (const engine of this.#engines) totals = addBatches(totals, engineBatches(engine));
    return totals;
  }

  /** A lease on the loaded model; the caller already counted itself in `users`. */
  lease(onRelease: () => void): ModelLease {
    const info = this.info!;
    let released = false;
    return {
      name: this.name,
      reranker: this.reranker!,
      info,
      window: {
        maxLength: info.maxLength,
        maxQueryTokens: info.maxQueryTokens,
        pairSpecialTokens: info.pairSpecialTokens,
      },
      stats: this.stats,
      release: () => {
        if (released) return;
        released = true;
        onRelease();
      },
    };
  }
}

/** `owner/name` with no path-like parts: a hub id, safe to echo. */
function isHubId(source: string): boolean {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(source) && !source.startsWith('.');
}
