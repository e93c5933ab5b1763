import { type LazyDisposable, lazyDisposable } from './lazy';
import type { RerankResult } from './reranker-types';
import { type ServerRerankerOptions, serverReranker } from './server-client';

/** What a framework adapter needs of a reranker: `UnifiedReRanker.rerank`, or `serverReranker`'s. */
export interface Reranker {
  rerank(
    query: string,
    documents: readonly string[],
    options?: { topK?: number; signal?: AbortSignal },
  ): Promise<RerankResult[]>;
}

/** Where an adapter's scores come from: an engine you own, options to build one, or a server. */
export type RerankerSource<CreateOptions> = { reranker: Reranker | CreateOptions } | ServerRerankerOptions;

export interface AdapterRankingOptions {
  /** Items to keep, best first. @default 3 */
  topN?: number;
  /** Drop items whose relevance (in [0, 1]) is below this. @default none */
  scoreThreshold?: number;
}

/**
 * The part the LangChain and LlamaIndex adapters share: resolving the reranker (given, built on first
 * use by `create`, or a server client), checking `topN` and `scoreThreshold`, and ranking texts into
 * `{ index, relevanceScore }` best first. `create` is the adapter's (it imports `@reranker/node` only
 * when called), so core never depends on node and a server-only app never loads onnxruntime.
 */
export class AdapterRanking<CreateOptions> {
  readonly topN: number;
  readonly scoreThreshold: number | undefined;
  readonly #given: Reranker | undefined;
  readonly #created: LazyDisposable<Reranker & { dispose(): Promise<void> }> | undefined;

  constructor(
    options: AdapterRankingOptions & RerankerSource<CreateOptions>,
    create: (options: CreateOptions) => Promise<Reranker & { dispose(): Promise<void> }>,
  ) {
    const { topN = 3, scoreThreshold } = options;
    if (!Number.isInteger(topN) || topN < 1)
      throw new TypeError(`topN must be a positive integer, got ${topN}`);
    if (scoreThreshold !== undefined && !(scoreThreshold >= 0 && scoreThreshold <= 1))
      throw new TypeError(`scoreThreshold must be in [0, 1], got ${scoreThreshold}`);
    this.topN = topN;
    this.scoreThreshold = scoreThreshold;
    if ('baseURL' in options) this.#given = serverReranker(options);
    else if (isReranker(options.reranker)) this.#given = options.reranker;
    else {
      const createOptions = options.reranker;
      this.#created = lazyDisposable(() => create(createOptions));
    }
  }

  /** The `topN` best texts for `query` with relevance at least `scoreThreshold`, best first. */
  async rank(query: string, texts: readonly string[]): Promise<{ index: number; relevanceScore: number }[]> {
    const reranker = this.#given ?? (await this.#created!.get());
    const results = await reranker.rerank(query, texts, { topK: this.topN });
    return results
      .filter((r) => this.scoreThreshold === undefined || r.relevanceScore >= this.scoreThreshold)
      .map(({ index, relevanceScore }) => ({ index, relevanceScore }));
  }

  /** Frees the engine built from options; a given one stays its owner's. */
  async dispose(): Promise<void> {
    await this.#created?.dispose();
  }
}

function isReranker<CreateOptions>(value: Reranker | CreateOptions): value is Reranker {
  return typeof (value as Partial<Reranker>).rerank === 'function';
}
