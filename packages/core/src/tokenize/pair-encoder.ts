import type { Tokenizer } from '@huggingface/tokenizers';
import { RerankerError } from '../errors';
import { type Encode, libraryEncoder } from './library-tokenizer';
import { type PrefixSafety, prefixCutSafety } from './prefix-safety';
import { type LeadingTokens, leadingTokens } from './prefix-tokenizer';
import {
  assemblePair,
  type EncodedPair,
  type PairTemplate,
  parsePairTemplate,
  type TokenLookup,
} from './template';
import { longestFirst, onlySecond, TRUNCATION_STRATEGIES, type TruncationStrategy } from './truncation';

export type { PrefixSafety } from './prefix-safety';
export type { LeadingTokens } from './prefix-tokenizer';
export type { EncodedPair } from './template';
export type { TruncationStrategy } from './truncation';

export interface PairEncoderOptions {
  /** Longest encoded pair in tokens, special tokens included. Required (the caller resolves it from config/model_max_length). */
  maxLength: number;
  /** A query longer than this is cut to it (only_second), so the document always keeps room. @default 64 */
  maxQueryTokens?: number;
  /** @default 'only_second' */
  truncation?: TruncationStrategy;
  /**
   * config.json type_vocab_size: 1 (XLM-R) or 0 (DeBERTa-v3, which has no token-type table) forces
   * all token type ids to 0. @default 2
   */
  typeVocabSize?: number;
}

/** A query tokenized once per request, reused for every document. */
export interface PreparedQuery {
  /**
   * Token ids without special tokens. Under `only_second` already cut to `maxQueryTokens`; under
   * `longest_first` whole, as the pair rule decides per document how much of it to keep.
   */
  readonly ids: readonly number[];
  /** Whether `ids` were cut to `maxQueryTokens`. */
  readonly truncated: boolean;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isPositiveInt = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;

function invalid(option: string, value: unknown, requirement: string): never {
  throw new RerankerError(
    'INVALID_CONFIG',
    `Invalid pair encoder option ${option}: ${JSON.stringify(value)}. It must be ${requirement}.`,
    { details: { option, value } },
  );
}

/** Token ids from tokenizer.json alone, for templates that name a special token without its ids. */
function jsonLookup(json: Json): TokenLookup {
  return (token) => {
    const added = Array.isArray(json.added_tokens) ? json.added_tokens : [];
    const hit = added.find((t) => isRecord(t) && t.content === token);
    if (isRecord(hit) && Number.isInteger(hit.id)) return hit.id as number;
    const vocab = isRecord(json.model) ? json.model.vocab : undefined;
    if (Array.isArray(vocab)) {
      const index = vocab.findIndex((entry) => Array.isArray(entry) && entry[0] === token);
      return index < 0 ? undefined : index;
    }
    const id = isRecord(vocab) ? vocab[token] : undefined;
    return Number.isInteger(id) ? (id as number) : undefined;
  };
}

/**
 * Tokenizes (query, document) pairs the way the model was trained on them: each text on its own
 * without special tokens, cut to fit `maxLength`, then laid out by the model's own pair template.
 */
export class PairEncoder {
  readonly maxLength: number;
  readonly padTokenId: number;
  readonly truncation: TruncationStrategy;
  readonly maxQueryTokens: number;
  /** Number of special tokens a pair adds (BERT 3, XLM-R 4). */
  readonly pairSpecialTokens: number;
  /** Whether long documents are tokenized from a prefix of their text only, and if not, why. */
  readonly prefixSafety: PrefixSafety;
  readonly #encode: Encode;
  readonly #template: PairTemplate;
  readonly #zeroTypes: boolean;

  private constructor(
    encode: Encode,
    template: PairTemplate,
    options: Required<PairEncoderOptions>,
    padTokenId: number,
    prefixSafety: PrefixSafety,
  ) {
    this.#encode = encode;
    this.#template = template;
    this.maxLength = options.maxLength;
    this.maxQueryTokens = options.maxQueryTokens;
    this.truncation = options.truncation;
    this.#zeroTypes = options.typeVocabSize <= 1;
    this.pairSpecialTokens = template.specialCount;
    this.padTokenId = padTokenId;
    this.prefixSafety = prefixSafety;
  }

  /** Builds the encoder from the parsed tokenizer.json and tokenizer_config.json of a model. */
  static fromJson(
    tokenizerJson: unknown,
    tokenizerConfig: unknown,
    options: PairEncoderOptions,
  ): PairEncoder {
    if (!isRecord(tokenizerJson) || !isRecord(tokenizerConfig)) {
      throw new RerankerError(
        'MODEL_LOAD_FAILED',
        'tokenizer.json and tokenizer_config.json must both parse to JSON objects; check the model files.',
      );
    }
    const template = parsePairTemplate(tokenizerJson.post_processor, jsonLookup(tokenizerJson));
    const resolved = resolveOptions(options ?? ({} as PairEncoderOptions), template.specialCount);
    const { tokenizer, encode } = libraryEncoder(tokenizerJson, tokenizerConfig);
    const highestType = Math.max(...template.parts.map((p) => p.typeId));
    if (resolved.typeVocabSize > 1 && highestType >= resolved.typeVocabSize) {
      throw new RerankerError(
        'MODEL_LOAD_FAILED',
        `The pair template uses token type ${highestType} but type_vocab_size is ${resolved.typeVocabSize}; the tokenizer does not match the model.`,
      );
    }
    const normalizer = tokenizer.normalizer;
    const safety = prefixCutSafety(
      tokenizerJson,
      tokenizerConfig,
      normalizer && ((t) => normalizer.normalize(t)),
    );
    return new PairEncoder(encode, template, resolved, padTokenId(tokenizer, tokenizerConfig), safety);
  }

  /** Token ids of a text without special tokens (used later for chunking long documents). */
  tokenize(text: string): number[] {
    return this.#encode(text);
  }

  /**
   * The first ids of a text's tokenization, at least `minTokens` of them unless the text has fewer:
   * exactly what `tokenize(text)` starts with, computed from a prefix of the text when that is safe.
   */
  leadingTokens(text: string, minTokens: number): LeadingTokens {
    if (!this.prefixSafety.safe) return { ids: this.#encode(text), complete: true };
    return leadingTokens(this.#encode, text, minTokens);
  }

  /** Tokenize the query once per request. */
  prepareQuery(query: string): PreparedQuery {
    requireString(query, 'query');
    if (this.truncation === 'longest_first') return { ids: this.#encode(query), truncated: false };
    // One id beyond the limit tells a query that was cut from one that fits exactly.
    const { ids } = this.leadingTokens(query, this.maxQueryTokens + 1);
    if (ids.length <= this.maxQueryTokens) return { ids, truncated: false };
    return { ids: ids.slice(0, this.maxQueryTokens), truncated: true };
  }

  encodePair(query: PreparedQuery, document: string): EncodedPair {
    requireString(document, 'document');
    const budget = this.maxLength - this.pairSpecialTokens;
    const q = query.ids;
    if (this.truncation === 'only_second') {
      const queryLength = Math.min(q.length, this.maxQueryTokens);
      const room = budget - queryLength;
      const doc = this.leadingTokens(document, room).ids;
      const kept = onlySecond(queryLength, doc.length, budget);
      return assemblePair(this.#template, q, kept.query, doc, kept.document, this.#zeroTypes);
    }
    // The rule reads the document length only through comparisons with the budget and the query,
    // so one id beyond both is as good as the full length.
    const doc = this.leadingTokens(document, Math.max(budget, q.length) + 1).ids;
    const kept = longestFirst(q.length, doc.length, budget);
    return assemblePair(this.#template, q, kept.query, doc, kept.document, this.#zeroTypes);
  }
}

function resolveOptions(options: PairEncoderOptions, specials: number): Required<PairEncoderOptions> {
  const { maxLength, maxQueryTokens = 64, truncation = 'only_second', typeVocabSize = 2 } = options;
  if (!TRUNCATION_STRATEGIES.includes(truncation)) {
    invalid('truncation', truncation, `one of ${TRUNCATION_STRATEGIES.map((s) => `'${s}'`).join(', ')}`);
  }
  if (!isPositiveInt(maxQueryTokens)) invalid('maxQueryTokens', maxQueryTokens, 'an integer of at least 1');
  if (!Number.isInteger(typeVocabSize) || typeVocabSize < 0)
    invalid('typeVocabSize', typeVocabSize, 'an integer of at least 0');
  const reserved = truncation === 'only_second' ? maxQueryTokens : 1;
  const minimum = specials + reserved + 1;
  if (!isPositiveInt(maxLength) || maxLength < minimum) {
    const why =
      truncation === 'only_second'
        ? `${specials} special tokens + maxQueryTokens ${maxQueryTokens} + 1 document token; raise maxLength or lower maxQueryTokens`
        : `${specials} special tokens + 1 query token + 1 document token`;
    invalid('maxLength', maxLength, `an integer of at least ${minimum} (${why})`);
  }
  return { maxLength, maxQueryTokens, truncation, typeVocabSize };
}

function padTokenId(tokenizer: Tokenizer, config: Json): number {
  const pad = isRecord(config.pad_token) ? config.pad_token.content : config.pad_token;
  const id = typeof pad === 'string' ? tokenizer.token_to_id(pad) : undefined;
  if (id === undefined) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `tokenizer_config.json pad_token ${JSON.stringify(pad ?? null)} is missing or not in the vocabulary; the model files need a pad token to batch pairs.`,
    );
  }
  return id;
}

function requireString(value: unknown, what: string): void {
  if (typeof value !== 'string') {
    throw new RerankerError('INVALID_INPUT', `The ${what} must be a string, got ${typeof value}.`);
  }
}
