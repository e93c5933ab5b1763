import { Document, type DocumentInterface } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import type { createReranker } from '@reranker/node';

/** What the compressor needs of a `UnifiedReRanker` (from `createReranker`): its `rerank` method. */
export type Reranker = Pick<Awaited<ReturnType<typeof createReranker>>, 'rerank'>;

export interface RerankerCompressorOptions {
  /** A reranker from `createReranker` (`@reranker/node`), owned by the caller (who disposes it). */
  reranker: Reranker;
  /** Documents to keep. @default 3 */
  topK?: number;
}

/**
 * A LangChain.js document compressor that reranks in-process: the `topK` documents most relevant to
 * the query, best first, each with `metadata.relevanceScore` (in [0, 1]) added to its own metadata.
 */
export class RerankerCompressor extends BaseDocumentCompressor {
  readonly #reranker: Reranker;
  readonly #topK: number;

  constructor({ reranker, topK = 3 }: RerankerCompressorOptions) {
    super();
    this.#reranker = reranker;
    this.#topK = topK;
  }

  async compressDocuments(documents: DocumentInterface[], query: string): Promise<DocumentInterface[]> {
    if (documents.length === 0) return [];
    const results = await this.#reranker.rerank(
      query,
      documents.map((d) => d.pageContent),
      { topK: this.#topK },
    );
    return results.map(({ index, relevanceScore }) => withScore(documents[index]!, relevanceScore));
  }
}

/** A copy of the document with its relevance in the metadata (the input documents stay unchanged). */
export function withScore(document: DocumentInterface, relevanceScore: number): DocumentInterface {
  return new Document({
    pageContent: document.pageContent,
    metadata: { ...document.metadata, relevanceScore },
    ...(document.id !== undefined && { id: document.id }),
  });
}
