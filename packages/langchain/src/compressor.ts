import { Document, type DocumentInterface } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import { AdapterRanking, type Reranker, type ServerRerankerOptions } from '@reranker/core';
import type { CreateRerankerOptions } from '@reranker/node';

export type { Reranker };

interface CommonOptions {
  /** Documents to keep, best first. @default 3 */
  topN?: number;
  /** Drop documents whose relevance (in [0, 1]) is below this. @default none */
  scoreThreshold?: number;
  /** Metadata key the relevance is written to. @default 'relevanceScore' */
  scoreKey?: string;
}

export type RerankerCompressorOptions = CommonOptions &
  (
    | {
        /**
         * In-process: a `UnifiedReRanker` (from `createReranker`) you own, or `createReranker`
         * options for one the compressor builds on first use (free it with `dispose()`).
         */
        reranker: Reranker | CreateRerankerOptions;
      }
    | ServerRerankerOptions
  );

/**
 * A LangChain.js document compressor that reranks with a cross-encoder, in-process (`reranker`) or
 * through a reranker-server (`baseURL`, `apiKey`): the `topN` documents most relevant to the query
 * (at least `scoreThreshold`), best first, as copies with the relevance added to their metadata.
 * Use it as the `baseCompressor` of a `ContextualCompressionRetriever` (a Runnable, so it composes
 * in LCEL chains).
 */
export class RerankerCompressor extends BaseDocumentCompressor {
  readonly scoreKey: string;
  readonly #ranking: AdapterRanking<CreateRerankerOptions>;

  constructor(options: RerankerCompressorOptions) {
    super();
    this.scoreKey = options.scoreKey ?? 'relevanceScore';
    // @reranker/node loads only on first use, so a server-only app never imports it.
    this.#ranking = new AdapterRanking(options, (createOptions: CreateRerankerOptions) =>
      import('@reranker/node').then(({ createReranker }) => createReranker(createOptions)),
    );
  }

  /** Documents to keep, best first. */
  get topN(): number {
    return this.#ranking.topN;
  }

  /** Documents whose relevance is below this are dropped. */
  get scoreThreshold(): number | undefined {
    return this.#ranking.scoreThreshold;
  }

  async compressDocuments(documents: DocumentInterface[], query: string): Promise<DocumentInterface[]> {
    if (documents.length === 0) return [];
    const ranked = await this.#ranking.rank(
      query,
      documents.map((d) => d.pageContent),
    );
    return ranked.map(({ index, relevanceScore }) => this.#withScore(documents[index]!, relevanceScore));
  }

  /** Frees the engine the compressor built from `createReranker` options; a given one stays yours. */
  async dispose(): Promise<void> {
    await this.#ranking.dispose();
  }

  /** A copy of the document with its relevance in the metadata (the input stays unchanged). */
  #withScore(document: DocumentInterface, relevanceScore: number): DocumentInterface {
    return new Document({
      pageContent: document.pageContent,
      metadata: { ...document.metadata, [this.scoreKey]: relevanceScore },
      ...(document.id !== undefined && { id: document.id }),
    });
  }
}
