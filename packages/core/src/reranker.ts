import type { BatchSizer } from './auto-batch';
import type { Backend, BackendFailure } from './backend';
import { buildBatch, type TokenizedPair } from './batching';
import type { PairCache } from './cache/pair-cache';
import type { ComputeBudgetUser } from './compute-budget';
import type { ControllerStats, RequestSlots, TaskContext } from './concurrency';
import { RerankerError } from './errors';
import type { PairScorer } from './inference';
import {
  documentTexts,
  pairsToTexts,
  type RerankDocument,
  type ScorePair,
  validateQuery,
  validateTopK,
} from './input';
import type { KindEncoder, ModelKind } from './kinds/kind';
import type { YesNoRerankerTemplate } from './kinds/yes-no-template';
import type { MetricsRecorder, MetricsSnapshot } from './metrics';
import type { DEFAULTS, UnifiedReRankerOptions } from './options';
import { runInSlot, runRequest } from './request';
import { assembleReranker } from './reranker-setup';
import type { DetailedRerank, RerankerInfo, RerankOptions, RerankResult, RerankSlot } from './reranker-types';
import type { BatchScheduler } from './scheduler';
import type { ScoringUsage } from './usage';

/** What a request with no documents costs. */
const NO_USAGE: ScoringUsage = { computedPairs: 0, cachedPairs: 0, tokens: 0 };

/**
 * Scores (query, document) pairs with a reranker (a cross-encoder, or an LLM reranker such as
 * Qwen3-Reranker: see `ModelKindName`) and returns documents best first. Create it with
 * `UnifiedReRanker.create` (or `createReranker` from `@reranker/node`).
 */
export class UnifiedReRanker {
  private disposed = false;

  private constructor(
    private readonly options: UnifiedReRankerOptions & typeof DEFAULTS,
    private readonly backend: Backend,
    private readonly failures: BackendFailure[],
    private readonly encoder: KindEncoder,
    private readonly kind: ModelKind,
    /** Facts of the loaded model for `info()`. */
    private readonly loaded: { numLabels: number; fingerprint: string },
    private readonly cache: PairCache | undefined,
    private readonly controller: RequestSlots,
    private readonly metrics: MetricsRecorder,
    private readonly scorer: PairScorer,
    private readonly scheduler: BatchScheduler,
    private readonly sizer: BatchSizer | undefined,
    private readonly budget: ComputeBudgetUser | undefined,
  ) {}

  /** Loads the model's config and tokenizer, then the first backend that works. */
  static async create(input: UnifiedReRankerOptions): Promise<UnifiedReRanker> {
    const p = await assembleReranker(input);
    return new UnifiedReRanker(
      p.options,
      p.backend,
      p.failures,
      p.encoder,
      p.kind,
      p.loaded,
      p.cache,
      p.controller,
      p.metrics,
      p.scorer,
      p.scheduler,
      p.sizer,
      p.budget,
    );
  }

  /** Documents best first: by score descending, ties by input position. An empty list gives `[]`. */
  async rerank<D extends RerankDocument>(
    query: string,
    documents: readonly D[],
    options: RerankOptions = {},
  ): Promise<RerankResult<D>[]> {
    return (await this.rerankDetailed(query, documents, options)).results;
  }

  /** As `rerank`, with what the request cost: pairs computed and cached, tokens, queue and inference time. */
  rerankDetailed<D extends RerankDocument>(
    query: string,
    documents: readonly D[],
    options: RerankOptions = {},
  ): Promise<DetailedRerank<D>> {
    return this.rerankIn(undefined, query, documents, options);
  }

  /**
   * Runs `task` holding one of this reranker's request slots, so work a request does before scoring
   * (splitting long documents into chunks, say) counts against `maxParallel` and `maxQueue` and waits
   * its turn like scoring. The slot is taken as `rerank` takes one: first come first served, refused
   * with `QUEUE_FULL`, `QUEUE_TIMEOUT` or `ABORTED` (then `task` never runs). `slot.rerankDetailed`
   * scores inside it without queueing again; the slot is released when `task` settles and refuses to
   * score after that.
   */
  withSlot<T>(task: (slot: RerankSlot) => Promise<T>, options: { signal?: AbortSignal } = {}): Promise<T> {
    this.assertOpen();
    return runInSlot(
      { controller: this.controller, metrics: this.metrics },
      async (context) => {
        let held = true;
        const rerankIn = this.rerankIn.bind(this);
        const slot: RerankSlot = {
          waitedMs: context.waitedMs,
          rerankDetailed(query, documents, rerankOptions = {}) {
            if (held) return rerankIn(context, query, documents, rerankOptions);
            return Promise.reject(
              new RerankerError(
                'INVALID_INPUT',
                'This slot was released when its withSlot task ended; score inside the task.',
              ),
            );
          },
        };
        try {
          return await task(slot);
        } finally {
          held = false;
        }
      },
      options.signal,
    );
  }

  private async rerankIn<D extends RerankDocument>(
    slot: TaskContext | undefined,
    query: string,
    documents: readonly D[],
    options: RerankOptions,
  ): Promise<DetailedRerank<D>> {
    this.assertOpen();
    validateQuery(query);
    const instruction = this.kind.instruction(options.instruction);
    const texts = documentTexts(documents);
    const topK = validateTopK(options.topK, texts.length);
    if (texts.length === 0) return { results: [], usage: NO_USAGE, timings: { queueMs: 0, inferenceMs: 0 } };
    const { logits, usage, timings } = await this.request(
      texts.map(() => query),
      texts,
      { ...options, instruction },
      slot,
    );
    const results = logits.map((l, index): RerankResult<D> => {
      const { score, relevanceScore } = this.kind.score(l);
      return options.returnDocuments
        ? { index, score, relevanceScore, document: documents[index] }
        : { index, score, relevanceScore };
    });
    results.sort((a, b) => b.score - a.score || a.index - b.index);
    return { results: results.slice(0, topK), usage, timings };
  }

  /** Raw scores of (query, document) pairs, in input order. */
  async score(
    pairs: readonly ScorePair[],
    options: Omit<RerankOptions, 'topK' | 'returnDocuments'> = {},
  ): Promise<number[]> {
    this.assertOpen();
    const instruction = this.kind.instruction(options.instruction);
    const { queries, documents } = pairsToTexts(pairs);
    if (queries.length === 0) return [];
    const { logits } = await this.request(queries, documents, { ...options, instruction });
    return logits.map((l) => this.kind.score(l).score);
  }

  /**
   * Tokens of a text without special tokens, as the model's tokenizer counts them (for chunking and
   * limits). With `atMost`, counting stops there: the result is the count when it is lower, else
   * `atMost`, and a long text whose tokenizer allows it is tokenized only as far as needed.
   * @param options.atMost @default Infinity
   */
  countTokens(text: string, options: { atMost?: number } = {}): number {
    const { atMost } = options;
    if (atMost === undefined) return this.encoder.tokenize(text).length;
    if (!Number.isInteger(atMost) || atMost < 0) {
      throw new RerankerError('INVALID_INPUT', `atMost must be a whole number of at least 0, got ${atMost}.`);
    }
    return Math.min(this.encoder.leadingTokens(text, atMost).ids.length, atMost);
  }

  private request(queries: string[], documents: string[], options: RerankOptions, slot?: TaskContext) {
    return runRequest(
      {
        controller: this.controller,
        metrics: this.metrics,
        scorer: this.scorer,
        workerTimeoutMs: this.options.workerTimeoutMs,
      },
      queries,
      documents,
      {
        signal: options.signal,
        useCache: options.useCache ?? true,
        slot,
        instruction: options.instruction,
      },
    );
  }

  async info(): Promise<RerankerInfo> {
    const { model, dtype } = this.options;
    return {
      backend: this.backend.name,
      device: this.backend.device,
      model: model.id,
      kind: this.kind.name,
      ...(this.kind.template && { template: this.kind.template.name }),
      ...(this.kind.defaultInstruction !== undefined && { defaultInstruction: this.kind.defaultInstruction }),
      source: model.source,
      revision: model.revision,
      fingerprint: this.loaded.fingerprint,
      ...(model.commit !== undefined && { commit: model.commit }),
      dtype,
      maxLength: this.encoder.maxLength,
      maxQueryTokens: this.encoder.maxQueryTokens,
      pairSpecialTokens: this.encoder.pairSpecialTokens,
      truncation: this.encoder.truncation,
      numLabels: this.loaded.numLabels,
      cacheEnabled: this.cache !== undefined,
      cacheSize: this.cache ? await this.cache.size() : undefined,
      backendFallbacks: this.failures.map(({ candidate, message }) => ({ candidate, message })),
      backendDetails: this.backend.describe?.() ?? {},
      batchSize: this.scheduler.batchSize(),
      batchSizeAuto: this.sizer !== undefined,
      ...(this.sizer && { batchSizeAutoStats: this.sizer.stats() }),
    };
  }

  /** LLM rerankers: the prompt template in use (all its fields); undefined for a cross-encoder. */
  get template(): Readonly<YesNoRerankerTemplate> | undefined {
    return this.kind.template;
  }

  stats(): { controller: ControllerStats; metrics: MetricsSnapshot } {
    return { controller: this.controller.stats(), metrics: this.metrics.snapshot() };
  }

  /**
   * The request slots and queue now: `stats().controller` without the metrics snapshot `stats()` also
   * takes (it sorts the latency windows), cheap enough to ask on every request (admission checks).
   */
  controllerStats(): ControllerStats {
    return this.controller.stats();
  }

  /**
   * Runs one short pair on every worker so the first real request does not pay for start-up; with
   * `batchSize: 'auto'`, then times the candidate sizes and picks the fastest (see the option).
   */
  async warmup(): Promise<void> {
    this.assertOpen();
    const lanes = Math.max(1, this.backend.concurrency ?? 1);
    const query = await this.encoder.prepareQuery('warm up');
    const pair = this.encoder.encodePair(query, 'a short passage to warm up the model');
    await Promise.all(Array.from({ length: lanes }, () => this.runRows(pair, 1)));
    if (this.sizer) {
      const typical = await this.typicalPair();
      await this.sizer.calibrate((size) => this.runRows(typical, size), typical.inputIds.length);
    }
  }

  /**
   * One batch of `rows` copies of `pair`, outside the scheduler, cache and metrics but holding a budget
   * lane when there is a budget; resolves with the run's milliseconds (not the wait for the lane).
   */
  private async runRows(pair: TokenizedPair, rows: number): Promise<number> {
    const pairs = Array.from({ length: rows }, () => pair);
    const indices = pairs.map((_, i) => i);
    const batch = buildBatch(pairs, { indices, width: pair.inputIds.length }, this.encoder.padTokenId);
    const timed = async () => {
      const start = performance.now();
      await this.backend.run(batch);
      return performance.now() - start;
    };
    return this.budget ? this.budget.run(timed) : timed();
  }

  /**
   * A pair of half the maximum length (a typical passage pair), for timing batch sizes; no wider than
   * lets the largest candidate fit `maxBatchTokens`, as real batches must (an LLM reranker's window of
   * thousands of tokens would otherwise time batches no request can form, and run out of memory).
   */
  private async typicalPair(): Promise<TokenizedPair> {
    const largest = Math.max(...(this.sizer?.candidates ?? [1]));
    const width = Math.max(
      8,
      Math.min(Math.floor(this.encoder.maxLength / 2), Math.floor(this.options.maxBatchTokens / largest)),
    );
    const query = await this.encoder.prepareQuery('how do rivers shape valleys');
    const full = this.encoder.encodePair(query, 'water carries stone along the valley floor '.repeat(width));
    const keep = (ids: readonly number[]) => [...ids.slice(0, width - 1), ids.at(-1)!];
    return { ...full, inputIds: keep(full.inputIds), tokenTypeIds: keep(full.tokenTypeIds) };
  }

  async clearCache(): Promise<void> {
    await this.cache?.clear();
  }

  /** Waits for running requests, then releases the backend and the cache. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.controller.drain();
    this.budget?.close();
    await Promise.all([this.backend.dispose(), this.cache?.dispose()]);
  }

  private assertOpen(): void {
    if (this.disposed) throw new RerankerError('DISPOSED', 'This reranker was disposed; create a new one.');
  }
}
