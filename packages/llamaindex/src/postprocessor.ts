import type { MessageContent } from '@llamaindex/core/llms';
import type { BaseNodePostprocessor } from '@llamaindex/core/postprocessor';
import { MetadataMode, type NodeWithScore } from '@llamaindex/core/schema';
import { extractText } from '@llamaindex/core/utils';
import {
  type LazyDisposable,
  lazyDisposable,
  RerankerError,
  type RerankResult,
  type ServerRerankerOptions,
  serverReranker,
  type UnifiedReRanker,
} from '@reranker/core';
import type { CreateRerankerOptions } from '@reranker/node';

/** What the postprocessor needs of a reranker: `UnifiedReRanker.rerank` (or `serverReranker`'s). */
export interface Reranker {
  rerank(query: string, documents: readonly string[], options?: { topK?: number }): Promise<RerankResult[]>;
}

interface CommonOptions {
  /** Nodes to keep, best first. @default 3 */
  topN?: number;
  /** Drop nodes whose relevance (in [0, 1]) is below this. @default none */
  scoreThreshold?: number;
  /** What of a node is ranked: its text with the metadata its embedding sees, by default. @default MetadataMode.EMBED */
  metadataMode?: MetadataMode;
}

export type RerankerPostprocessorOptions = CommonOptions &
  (
    | {
        /**
         * In-process: a `UnifiedReRanker` (from `createReranker`) you own, or `createReranker`
         * options for one the postprocessor builds on first use (free it with `dispose()`).
         */
        reranker: Reranker | CreateRerankerOptions;
      }
    | ServerRerankerOptions
  );

/**
 * A LlamaIndex.TS node postprocessor that reranks with a cross-encoder, in-process (`reranker`) or
 * through a reranker-server (`baseURL`, `apiKey`): the `topN` nodes most relevant to the query (at
 * least `scoreThreshold`), best first, each with the relevance in [0, 1] as its `score`. Pass it in a
 * query engine's `nodePostprocessors`.
 */
export class RerankerPostprocessor implements BaseNodePostprocessor {
  readonly topN: number;
  readonly scoreThreshold: number | undefined;
  readonly metadataMode: MetadataMode;
  readonly #given: Reranker | undefined;
  readonly #created: LazyDisposable<UnifiedReRanker> | undefined;

  constructor(options: RerankerPostprocessorOptions) {
    const { topN = 3, scoreThreshold, metadataMode = MetadataMode.EMBED } = options;
    if (!Number.isInteger(topN) || topN < 1)
      throw new TypeError(`topN must be a positive integer, got ${topN}`);
    if (scoreThreshold !== undefined && !(scoreThreshold >= 0 && scoreThreshold <= 1))
      throw new TypeError(`scoreThreshold must be in [0, 1], got ${scoreThreshold}`);
    this.topN = topN;
    this.scoreThreshold = scoreThreshold;
    this.metadataMode = metadataMode;
    if ('baseURL' in options) this.#given = serverReranker(options);
    else if (isReranker(options.reranker)) this.#given = options.reranker;
    else {
      const createOptions = options.reranker;
      // @reranker/node loads only on first use, so a server-only app never imports it.
      this.#created = lazyDisposable(() =>
        import('@reranker/node').then(({ createReranker }) => createReranker(createOptions)),
      );
    }
  }

  async postprocessNodes(nodes: NodeWithScore[], query?: MessageContent): Promise<NodeWithScore[]> {
    if (nodes.length === 0) return [];
    const text = query === undefined ? '' : extractText(query);
    if (text.trim() === '') {
      throw new RerankerError('INVALID_INPUT', 'RerankerPostprocessor needs the query to rerank nodes.', {
        details: { field: 'query' },
      });
    }
    const reranker = await this.#reranker();
    const results = await reranker.rerank(
      text,
      nodes.map(({ node }) => node.getContent(this.metadataMode)),
      { topK: this.topN },
    );
    return results
      .filter((r) => this.scoreThreshold === undefined || r.relevanceScore >= this.scoreThreshold)
      .map(({ index, relevanceScore }) => ({ node: nodes[index]!.node, score: relevanceScore }));
  }

  /** Frees the engine built from `createReranker` options; a given one stays yours. */
  async dispose(): Promise<void> {
    await this.#created?.dispose();
  }

  #reranker(): Promise<Reranker> | Reranker {
    return this.#given ?? this.#created!.get();
  }
}

function isReranker(value: Reranker | CreateRerankerOptions): value is Reranker {
  return typeof (value as Partial<Reranker>).rerank === 'function';
}
