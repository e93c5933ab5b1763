import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBatch, type EncodedBatch, PairEncoder, RerankerError, sessionInputs } from '@reranker/core';
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
  // A prime count, so the strides below cycle through all of the words.
  const words = singleTokenWords(tokenizerJson, encoder, 211);
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

/**
 * The first `count` lower-case alphabetic vocabulary entries (by id) that the tokenizer keeps as one
 * token, so a text of n of them is n tokens. Fails unless at least 50 exist.
 */
export function singleTokenWords(tokenizerJson: unknown, encoder: PairEncoder, count: number): string[] {
  const vocab = (tokenizerJson as { model?: { vocab?: unknown } }).model?.vocab;
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      'The bench workloads need a WordPiece tokenizer.json (model.vocab as an object); use a BERT preset.',
    );
  }
  const candidates = Object.entries(vocab as Record<string, number>)
    .filter(([word]) => /^[a-z]{3,10}$/.test(word))
    .sort((a, b) => a[1] - b[1])
    .map(([word]) => word);
  const words: string[] = [];
  for (const word of candidates) {
    if (words.length === count) break;
    if (encoder.tokenize(word).length === 1) words.push(word);
  }
  if (words.length < 50) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `Only ${words.length} single-token words found in the vocabulary; the workloads need at least 50.`,
    );
  }
  return words;
}

/** Pads pairs into `batchSize`-row int64 batches in input order, with the engine's `buildBatch`. */
export function rawBatches({ pairs, padTokenId }: Workload, batchSize: number): EncodedBatch[] {
  const batches: EncodedBatch[] = [];
  for (let start = 0; start < pairs.length; start += batchSize) {
    const indices = pairs.slice(start, start + batchSize).map((_, i) => start + i);
    const width = Math.max(...indices.map((i) => pairs[i]!.inputIds.length));
    batches.push(buildBatch(pairs, { indices, width }, padTokenId));
  }
  return batches;
}

/** The session feeds of a batch: the inputs the model declares (core's `sessionInputs`) as tensors. */
export function sessionFeeds(session: ort.InferenceSession, batch: EncodedBatch): Record<string, ort.Tensor> {
  const dims = [batch.rows, batch.width];
  const inputs = Object.entries(sessionInputs(batch, session.inputNames));
  return Object.fromEntries(inputs.map(([name, data]) => [name, new ort.Tensor('int64', data, dims)]));
}
