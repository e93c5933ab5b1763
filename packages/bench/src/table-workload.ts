import {
  detectModelKind,
  type ModelConfig,
  type ModelFiles,
  PairEncoder,
  PromptEncoder,
} from '@reranker/core';
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
  /** The model's kind (`cross-encoder`, `decoder-yes-no`, ...): an LLM reranker's pair excludes its template. */
  kind: string;
}

const utf8 = new TextDecoder();

async function readJson(model: ModelFiles, file: string): Promise<Record<string, unknown>> {
  return JSON.parse(utf8.decode(await model.read(file)));
}

/** The model's pair encoder, read through its ModelFiles (a folder, a hub download or a preset). */
export async function pairEncoderOf(model: ModelFiles, maxLength = 512): Promise<PairEncoder> {
  return PairEncoder.fromJson(
    await readJson(model, 'tokenizer.json'),
    await readJson(model, 'tokenizer_config.json'),
    { maxLength },
  );
}

/** Tokens of a query's pairs: `(query) => (document) => tokens`. */
type PairLength = ((query: string) => Promise<(document: string) => number>) & { kind: string };

/**
 * A cross-encoder's pair is its encoded `[CLS] q [SEP] d [SEP]`. An LLM reranker's pair is the query's
 * and the document's tokens as its prompt holds them (core's PromptEncoder), without the template: the
 * same text a cross-encoder row gets, to which the prompt adds its fixed prefix and suffix.
 */
async function pairLengthOf(model: ModelFiles, maxLength: number): Promise<PairLength> {
  const kind = detectModelKind((await readJson(model, 'config.json')) as ModelConfig, { source: model.id });
  if (kind.template === undefined) {
    const encoder = await pairEncoderOf(model, maxLength);
    const length = async (query: string) => {
      const prepared = encoder.prepareQuery(query);
      return (doc: string) => encoder.encodePair(prepared, doc).inputIds.length;
    };
    return Object.assign(length, { kind: kind.name });
  }
  const encoder = new PromptEncoder(
    await readJson(model, 'tokenizer.json'),
    await readJson(model, 'tokenizer_config.json'),
    kind.template,
    { maxLength: Math.max(maxLength, 1024), maxQueryTokens: maxLength, keySalt: '' },
  );
  const length = async (query: string) => {
    const queryTokens = (await encoder.prepareQuery(query)).ids.length;
    return (doc: string) => queryTokens + encoder.tokenize(encoder.boundary.lead + doc).length;
  };
  return Object.assign(length, { kind: kind.name });
}

/**
 * Requests of English-like documents whose pairs with the query are drawn uniformly from `pairTokens`
 * and cut to that length with the model's own tokenizer: the same workload in tokens whatever the
 * vocabulary (WordPiece, SentencePiece or byte-level BPE) and model kind (see `pairLengthOf`).
 */
export async function buildTableWorkload(
  model: ModelFiles,
  options: TableWorkloadOptions,
): Promise<TableWorkload> {
  const { docsPerRequest, distinctRequests = 4, seed = 1 } = options;
  const [low, high] = options.pairTokens ?? [128, 256];
  const lengthOf = await pairLengthOf(model, options.maxLength ?? 512);
  const random = seededRandom(seed);
  const lengths: number[] = [];
  const requests: TableRequest[] = [];
  for (let r = 0; r < distinctRequests; r++) {
    const query = makeQuery(random);
    const pairLength = await lengthOf(query);
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
    requests.push({ query, documents });
  }
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  return {
    requests,
    pairTokens: { min: Math.min(...lengths), mean, max: Math.max(...lengths) },
    kind: lengthOf.kind,
  };
}
