import { Document, type DocumentInterface } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import {
  type LazyDisposable,
  lazyDisposable,
  type RerankResult,
  type ServerRerankerOptions,
  serverReranker,
  type UnifiedReRanker,
} from '@reranker/core';
import type { CreateRerankerOptions } from '@reranker/node';

/** What the compressor needs of a reranker: `UnifiedReRanker.rerank` (or `serverReranker`'s). */
export interface Reranker {
  rerank(
    query: string,
    documents: readonly string[],
    options?: { topK?: number; signal?: AbortSignal },
  ): Promise<RerankResult[]>;
}

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
  readonly topN: number;
  readonly scoreThreshold: number | undefined;
  readonly scoreKey: string;
  readonly #given: Reranker | undefined;
  readonly #created: LazyDisposable<UnifiedReRanker> | undefined;

  constructor(options: RerankerCompressorOptions) {
    super();
    const { topN = 3, scoreThreshold, scoreKey = 'relevanceScore' } = options;
    if (!Number.isInteger(topN) || topN < 1)
      throw new TypeError(`topN must be a positive integer, got ${topN}`);
    if (scoreThreshold !== undefined && !(scoreThreshold >= 0 && scoreThreshold <= 1))
      throw new TypeError(`scoreThreshold must be in [0, 1], got ${scoreThreshold}`);
    this.topN = topN;
    this.scoreThreshold = scoreThreshold;
    this.scoreKey = scoreKey;
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

  async compressDocuments(documents: DocumentInterface[], query: string): Promise<DocumentInterface[]> {
    if (documents.length === 0) return [];
    const reranker = await this.#reranker();
    const results = await reranker.rerank(
      query,
      documents.map((d) => d.pageContent),
      { topK: this.topN },
    );
    return results
      .filter((r) => this.scoreThreshold === undefined || r.relevanceScore >= this.scoreThreshold)
      .map(({ index, relevanceScore }) => this.#withScore(documents[index]!, relevanceScore));
  }

  /** Frees the engine the compressor built from `createReranker` options; a given one stays yours. */
  async dispose(): Promise<void> {
    await this.#created?.dispose();
  }

  #reranker(): Promise<Reranker> | Reranker {
    return this.#given ?? this.#created!.get();
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

function isReranker(value: Reranker | CreateRerankerOptions): value is Reranker {
  return typeof (value as Partial<Reranker>).rerank === 'function';
}
