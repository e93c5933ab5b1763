import { Embeddings } from '@langchain/core/embeddings';

/**
 * A deterministic bag-of-words embedding: each lower-cased word is hashed (FNV-1a) to one of
 * `dimensions` buckets with a +1/-1 sign, and the vector is L2-normalised. Texts that share words get a
 * positive cosine similarity, so a vector store over it behaves like a crude keyword retriever, with no
 * model, no network and the same vectors on every run. Good enough to feed a reranker in an example.
 */
export class HashingEmbeddings extends Embeddings {
  readonly dimensions: number;

  /** @param dimensions vector length @default 512 */
  constructor({ dimensions = 512 }: { dimensions?: number } = {}) {
    super({});
    this.dimensions = dimensions;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.embed(text));
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }

  private embed(text: string): number[] {
    const vector = new Array<number>(this.dimensions).fill(0);
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
      const hash = fnv1a(word);
      // The low bits pick the bucket, the top bit the sign (so collisions partly cancel out).
      vector[hash % this.dimensions]! += hash & 0x80000000 ? -1 : 1;
    }
    const norm = Math.hypot(...vector);
    return norm === 0 ? vector : vector.map((x) => x / norm);
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
