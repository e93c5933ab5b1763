import type { MessageContent } from '@llamaindex/core/llms';
import type { BaseNodePostprocessor } from '@llamaindex/core/postprocessor';
import { MetadataMode, type NodeWithScore } from '@llamaindex/core/schema';
import { extractText } from '@llamaindex/core/utils';
import { AdapterRanking, type Reranker, RerankerError, type ServerRerankerOptions } from '@reranker/core';
import type { CreateRerankerOptions } from '@reranker/node';

export type { Reranker };

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
  readonly metadataMode: MetadataMode;
  readonly #ranking: AdapterRanking<CreateRerankerOptions>;

  constructor(options: RerankerPostprocessorOptions) {
    this.metadataMode = options.metadataMode ?? MetadataMode.EMBED;
    // @reranker/node loads only on first use, so a server-only app never imports it.
    this.#ranking = new AdapterRanking(options, (createOptions: CreateRerankerOptions) =>
      import('@reranker/node').then(({ createReranker }) => createReranker(createOptions)),
    );
  }

  /** Nodes to keep, best first. */
  get topN(): number {
    return this.#ranking.topN;
  }

  /** Nodes whose relevance is below this are dropped. */
  get scoreThreshold(): number | undefined {
    return this.#ranking.scoreThreshold;
  }

  async postprocessNodes(nodes: NodeWithScore[], query?: MessageContent): Promise<NodeWithScore[]> {
    if (nodes.length === 0) return [];
    const text = query === undefined ? '' : extractText(query);
    if (text.trim() === '') {
      throw new RerankerError('INVALID_INPUT', 'RerankerPostprocessor needs the query to rerank nodes.', {
        details: { field: 'query' },
      });
    }
    const ranked = await this.#ranking.rank(
      text,
      nodes.map(({ node }) => node.getContent(this.metadataMode)),
    );
    return ranked.map(({ index, relevanceScore }) => ({ node: nodes[index]!.node, score: relevanceScore }));
  }

  /** Frees the engine built from `createReranker` options; a given one stays yours. */
  async dispose(): Promise<void> {
    await this.#ranking.dispose();
  }
}
