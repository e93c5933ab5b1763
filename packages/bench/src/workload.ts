import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PairEncoder, RerankerError } from '@reranker/core';
import * as ort from 'onnxruntime-node';

/** What every contender scores: one query, many documents, each pair exactly `pairTokens` long. */
export interface Workload {
  query: string;
  /** Documents of one request; every request sends the same ones (the cache is off). */
  documents: string[];
  /** Tokens of each encoded pair, special tokens included. */
  pairTokens: number;
  /** The same pairs as the engine would encode them, for the raw contender. */
  pairs: { inputIds: number[]; tokenTypeIds: number[] }[];
  padTokenId: number;
}

/** One encoded pair, before padding. */
export interface TokenizedRow {
  inputIds: readonly number[];
  tokenTypeIds: readonly number[];
}

/** A pre-padded int64 batch as `InferenceSession.run` takes it. */
export interface RawBatch {
  rows: number;
  width: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  tokenTypeIds: BigInt64Array;
}

const QUERY = 'what is a reranker and how does it order the passages of a search';

/**
 * Builds `documents` texts whose pair with the query encodes to exactly `pairTokens` tokens with the
 * model's own tokenizer: documents are sequences of words that are single tokens in its vocabulary,
 * and every pair is checked after encoding, so a tokenizer change fails loudly instead of skewing
 * the figures.
 */
export async function buildWorkload(
  modelDir: string,
  documents: number,
  pairTokens: number,
): Promise<Workload> {
  const readJson = async (name: string): Promise<unknown> =>
    JSON.parse(await readFile(join(modelDir, name), 'utf8'));
  const tokenizerJson = await readJson('tokenizer.json');
  const encoder = PairEncoder.fromJson(tokenizerJson, await readJson('tokenizer_config.json'), {
    maxLength: Math.max(512, pairTokens),
  });
  const query = encoder.prepareQuery(QUERY);
  const room = pairTokens - encoder.pairSpecialTokens - query.ids.length;
  if (room < 1) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `A ${pairTokens}-token pair leaves no room for a document after the query (${query.ids.length} tokens); raise the pair length.`,
    );
  }
  const words = singleTokenWords(tokenizerJson, encoder);
  const docs: string[] = [];
  const pairs: Workload['pairs'] = [];
  for (let d = 0; d < documents; d++) {
    // A different stride per document keeps the texts distinct without changing their length.
    const text = Array.from({ length: room }, (_, i) => words[(d * 7 + i * (d + 1)) % words.length]).join(
      ' ',
    );
    const pair = encoder.encodePair(query, text);
    if (pair.inputIds.length !== pairTokens) {
      throw new RerankerError(
        'INVALID_INPUT',
        `Document ${d} encodes to a ${pair.inputIds.length}-token pair, not ${pairTokens}: the word list has a multi-token word.`,
      );
    }
    docs.push(text);
    pairs.push(pair);
  }
  return { query: QUERY, documents: docs, pairTokens, pairs, padTokenId: encoder.padTokenId };
}

/** Lower-case alphabetic vocabulary entries that tokenize to themselves alone (about 200 of them). */
function singleTokenWords(tokenizerJson: unknown, encoder: PairEncoder): string[] {
  const model = (tokenizerJson as { model?: { vocab?: unknown } }).model;
  const vocab = model?.vocab;
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      'The overhead workload needs a WordPiece tokenizer.json (model.vocab as an object); use a BERT preset.',
    );
  }
  const candidates = Object.entries(vocab as Record<string, number>)
    .filter(([word]) => /^[a-z]{3,10}$/.test(word))
    .sort((a, b) => a[1] - b[1])
    .map(([word]) => word);
  const words: string[] = [];
  for (const word of candidates) {
    if (encoder.tokenize(word).length === 1) words.push(word);
    if (words.length === 211) break; // a prime, so the strides above cycle through all of them
  }
  if (words.length < 50) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `Only ${words.length} single-token words found in the vocabulary; the workload needs at least 50.`,
    );
  }
  return words;
}

/** Right-pads rows into one int64 batch with attention mask 0 on the padding, as the engine does. */
export function padBatch(rows: readonly TokenizedRow[], padTokenId: number): RawBatch {
  const width = Math.max(...rows.map((p) => p.inputIds.length));
  const inputIds = new BigInt64Array(rows.length * width).fill(BigInt(padTokenId));
  const attentionMask = new BigInt64Array(rows.length * width);
  const tokenTypeIds = new BigInt64Array(rows.length * width);
  rows.forEach((pair, row) => {
    pair.inputIds.forEach((id, t) => {
      inputIds[row * width + t] = BigInt(id);
      attentionMask[row * width + t] = 1n;
      tokenTypeIds[row * width + t] = BigInt(pair.tokenTypeIds[t]!);
    });
  });
  return { rows: rows.length, width, inputIds, attentionMask, tokenTypeIds };
}

/** Pads pairs into `batchSize`-row int64 batches, as the engine's batching does for equal lengths. */
export function rawBatches({ pairs, padTokenId }: Workload, batchSize: number): RawBatch[] {
  const batches: RawBatch[] = [];
  for (let start = 0; start < pairs.length; start += batchSize) {
    batches.push(padBatch(pairs.slice(start, start + batchSize), padTokenId));
  }
  return batches;
}

/** The session feeds of a batch: only the inputs the model declares (XLM-R has no token types). */
export function sessionFeeds(session: ort.InferenceSession, batch: RawBatch): Record<string, ort.Tensor> {
  const dims = [batch.rows, batch.width];
  const all: Record<string, BigInt64Array> = {
    input_ids: batch.inputIds,
    attention_mask: batch.attentionMask,
    token_type_ids: batch.tokenTypeIds,
  };
  return Object.fromEntries(
    session.inputNames.map((name) => [name, new ort.Tensor('int64', all[name]!, dims)]),
  );
}
