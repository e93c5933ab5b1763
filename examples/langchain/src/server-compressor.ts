import type { DocumentInterface } from '@langchain/core/documents';
import { BaseDocumentCompressor } from '@langchain/core/retrievers/document_compressors';
import { withScore } from './reranker-compressor';

export interface RerankerServerCompressorOptions {
  /** Base URL of a reranker-server, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** Documents to keep. @default 3 */
  topK?: number;
  /** Sent as `Authorization: Bearer …` when the server sets API_KEYS. @default none */
  apiKey?: string;
}

/**
 * A LangChain.js document compressor that reranks through a reranker-server's Cohere-compatible
 * `POST /v1/rerank`: the `topK` most relevant documents, best first, each with `metadata.relevanceScore`.
 */
export class RerankerServerCompressor extends BaseDocumentCompressor {
  readonly #endpoint: string;
  readonly #topK: number;
  readonly #apiKey: string | undefined;

  constructor({ url, topK = 3, apiKey }: RerankerServerCompressorOptions) {
    super();
    this.#endpoint = `${url.replace(/\/+$/, '')}/v1/rerank`;
    this.#topK = topK;
    this.#apiKey = apiKey;
  }

  async compressDocuments(documents: DocumentInterface[], query: string): Promise<DocumentInterface[]> {
    if (documents.length === 0) return [];
    const response = await fetch(this.#endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.#apiKey && { authorization: `Bearer ${this.#apiKey}` }),
      },
      body: JSON.stringify({
        query,
        documents: documents.map((d) => d.pageContent),
        top_n: this.#topK,
        return_documents: false,
      }),
    });
    if (!response.ok) {
      throw new Error(`POST ${this.#endpoint}: HTTP ${response.status} ${await response.text()}`);
    }
    const { results } = (await response.json()) as { results: { index: number; relevance_score: number }[] };
    return results.map(({ index, relevance_score }) => withScore(documents[index]!, relevance_score));
  }
}
