import { type ModelFiles, PairEncoder } from '@reranker/core';
import { seededRandom } from '@reranker/testkit';
import { makePassage, makeQuery } from './text';

/** One request of the `table` workload: a query and its documents. */
export interface TableRequest {
  query: string;
  documents: string[];
}

export interface TableWorkloadOptions {
  /** Documents per request. @default 32 */
  docsPerRequest: number;
  /** Distinct requests to cycle through (the cache is off, so repeating them costs the same). @default 4 */
  distinctRequests?: number;
  /** Shortest and longest (query, document) pair in tokens, special tokens included. @default [128, 256] */
  pairTokens?: readonly [number, number];
  /** Seed of the text generator. @default 1 */
  seed?: number;
  /** The tokenizer's length limit while cutting (long-input workloads). @default 512 */
  maxLength?: number;
}

export interface TableWorkload {
  requests: TableRequest[];
  /** Measured with the model's own tokenizer, over every pair of every request. */
  pairTokens: { min: number; mean: number; max: number };
}

const utf8 = new TextDecoder();

/** The model's pair encoder, read through its ModelFiles (a folder, a hub download or a preset). */
export async function pairEncoderOf(model: ModelFiles, maxLength = 512): Promise<PairEncoder> {
  const json = async (file: string): Promise<unknown> => JSON.parse(utf8.decode(await model.read(file)));
  return PairEncoder.fromJson(await json('tokenizer.json'), await json('tokenizer_config.json'), {
    maxLength,
  });
}

/**
 * Requests of English-like documents whose pairs with the query are drawn uniformly from `pairTokens`
 * and cut to that length with the model's own tokenizer: the same workload in tokens whatever the
 * vocabulary (WordPiece or SentencePiece).
 */
export async function buildTableWorkload(
  model: ModelFiles,
  options: TableWorkloadOptions,
): Promise<TableWorkload> {
  const { docsPerRequest, distinctRequests = 4, seed = 1 } = options;
  const [low, high] = options.pairTokens ?? [128, 256];
  const encoder = await pairEncoderOf(model, options.maxLength);
  const random = seededRandom(seed);
  const lengths: number[] = [];
  const requests = Array.from({ length: distinctRequests }, () => {
    const query = makeQuery(random);
    const prepared = encoder.prepareQuery(query);
    const pairLength = (doc: string) => encoder.encodePair(prepared, doc).inputIds.length;
    const documents = Array.from({ length: docsPerRequest }, () => {
      const target = low + Math.floor(random() * (high - low + 1));
      let words = makePassage(random, target).split(' ');
      let length = pairLength(words.join(' '));
      // Words are one token or more, so the passage is at least as long as the target: cut it down.
      while (length > target && words.length > 1) {
        const cut = Math.max(1, Math.floor(((length - target) * words.length) / length));
        words = words.slice(0, words.length - cut);
        length = pairLength(words.join(' '));
      }
      lengths.push(length);
      return words.join(' ');
    });
    return { query, documents };
  });
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  return { requests, pairTokens: { min: Math.min(...lengths), mean, max: Math.max(...lengths) } };
}
