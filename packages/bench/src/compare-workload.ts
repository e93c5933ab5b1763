import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BatchLimits,
  buildBatch,
  type EncodedBatch,
  PairEncoder,
  planBatches,
  RerankerError,
} from '@reranker/core';
import { seededRandom } from '@reranker/testkit';
import { singleTokenWords } from './workload';

// The testkit's generator, re-exported for this module's users.
export { seededRandom };

/** How `buildMixedWorkload` draws its requests. */
export interface MixedWorkloadOptions {
  /** Requests in the sequence every contender scores. */
  requests: number;
  /** Documents per request. @default 20 */
  docsPerRequest?: number;
  /** Share of requests (after the first) that repeat an earlier request's query and documents. @default 0.2 */
  repeatShare?: number;
  /** Shortest document, in tokens. @default 32 */
  minDocTokens?: number;
  /** Longest document, in tokens (pairs over 512 tokens are cut, as every contender cuts them). @default 512 */
  maxDocTokens?: number;
  /** Seed of the generator: the same seed gives the same workload. @default 1 */
  seed?: number;
}

export interface MixedRequest {
  query: string;
  documents: string[];
  /** Index of the earlier request this one repeats, if it is a repeat. */
  repeatOf?: number;
  /** The pairs as the engine encodes them (512-token window), for the raw contender. */
  pairs: { inputIds: number[]; tokenTypeIds: number[] }[];
}

export interface MixedWorkload {
  requests: MixedRequest[];
  /** An extra request, never in `requests`, for warming contenders up without filling their caches. */
  warmup: MixedRequest;
  padTokenId: number;
  /** Mean tokens per encoded pair over all requests, special tokens included. */
  meanPairTokens: number;
}

/**
 * Requests of mixed-length documents built from words that are one token each in the model's
 * vocabulary, so a document of n words is n tokens; some requests repeat an earlier one exactly (where a
 * score cache pays off).
 */
export async function buildMixedWorkload(
  modelDir: string,
  options: MixedWorkloadOptions,
): Promise<MixedWorkload> {
  const { requests, docsPerRequest = 20, repeatShare = 0.2, seed = 1 } = options;
  const { minDocTokens = 32, maxDocTokens = 512 } = options;
  if (minDocTokens < 1 || maxDocTokens < minDocTokens) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `Document lengths ${minDocTokens}–${maxDocTokens} tokens are not a range; use 1 ≤ min ≤ max.`,
    );
  }
  const readJson = async (name: string): Promise<unknown> =>
    JSON.parse(await readFile(join(modelDir, name), 'utf8'));
  const tokenizerJson = await readJson('tokenizer.json');
  const encoder = PairEncoder.fromJson(tokenizerJson, await readJson('tokenizer_config.json'), {
    maxLength: 512,
  });
  const words = singleTokenWords(tokenizerJson, encoder, 2000);
  const random = seededRandom(seed);
  const pick = () => words[Math.floor(random() * words.length)]!;
  const text = (tokens: number) => Array.from({ length: tokens }, pick).join(' ');
  const fresh = (): MixedRequest => {
    const query = text(6 + Math.floor(random() * 10));
    const documents = Array.from({ length: docsPerRequest }, () =>
      text(minDocTokens + Math.floor(random() * (maxDocTokens - minDocTokens + 1))),
    );
    const prepared = encoder.prepareQuery(query);
    return { query, documents, pairs: documents.map((d) => encoder.encodePair(prepared, d)) };
  };
  const warmup = fresh();
  const list: MixedRequest[] = [];
  for (let i = 0; i < requests; i++) {
    // Exactly round(requests × repeatShare) repeats, evenly spread (a coin per request varies too much).
    if (i > 0 && Math.floor((i + 1) * repeatShare) > Math.floor(i * repeatShare)) {
      const repeatOf = Math.floor(random() * i);
      list.push({ ...list[repeatOf]!, repeatOf });
    } else {
      list.push(fresh());
    }
  }
  const lengths = list.flatMap((r) => r.pairs.map((p) => p.inputIds.length));
  const meanPairTokens = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  return { requests: list, warmup, padTokenId: encoder.padTokenId, meanPairTokens };
}

/** Pads pairs into the batches the engine's planner (`planBatches`, the same limits) gives them. */
export function lengthSortedBatches(
  pairs: MixedRequest['pairs'],
  padTokenId: number,
  limits: BatchLimits,
): EncodedBatch[] {
  const plans = planBatches(
    pairs.map((p) => p.inputIds.length),
    limits,
  );
  return plans.map((plan) => buildBatch(pairs, plan, padTokenId));
}
