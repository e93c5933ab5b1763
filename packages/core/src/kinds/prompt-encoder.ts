import type { TokenizedPair } from '../batching';
import { RerankerError } from '../errors';
import { hex } from '../hex';
import { type Encode, libraryEncoder } from '../tokenize/library-tokenizer';
import type { LeadingTokens, PreparedQuery } from '../tokenize/pair-encoder';
import { chooseDocumentBoundary, type DocumentBoundary, splitAtSlot } from './prompt-boundary';
import { fillSlots, validateTemplate, type YesNoRerankerTemplate } from './yes-no-template';

export interface PromptEncoderOptions {
  /** Longest prompt in tokens (prefix, body and suffix). */
  maxLength: number;
  /** A query longer than this is cut to it (tokenized on its own, then joined). */
  maxQueryTokens: number;
  /** Mixed into each prefix key so two models never share a prefix key (the model fingerprint). */
  keySalt: string;
}

/** The tokens every document of a request continues, and the key a backend caches their key/values under. */
export interface SharedPrefix {
  /** SHA-256 (hex) of the salt and the ids, prefixed `prefix:`. */
  key: string;
  /** The prefix's ids, batch 1: the template prefix, then the body up to the document. */
  inputIds: BigInt64Array;
}

/** A (query, instruction) prepared once per request: the shared prefix and what is left for documents. */
export interface PreparedPrompt extends PreparedQuery {
  readonly prefix: SharedPrefix;
  /** Document tokens a row may hold before the suffix. */
  readonly room: number;
}

type Json = Record<string, unknown>;

/**
 * Tokenizes yes/no (and seq-cls) LLM reranker prompts with a shared prefix: every document of a
 * request continues the same prefix (template prefix + instruction + query, up to the document's
 * line), and a row holds the document's tokens and the suffix's. The ids equal the model card's
 * (prefix, body and suffix tokenized apart and joined) because the body is cut only where the
 * tokenizer provably gives the same ids (`chooseDocumentBoundary`).
 */
export class PromptEncoder {
  readonly maxLength: number;
  readonly maxQueryTokens: number;
  readonly truncation = 'only_second' as const;
  readonly padTokenId: number;
  /** Template prefix and suffix tokens: the tokens a pair always adds. */
  readonly pairSpecialTokens: number;
  readonly boundary: DocumentBoundary;
  /** Vocabulary ids of the label tokens. */
  readonly labelIds: { yes: number; no: number };
  readonly #encode: Encode;
  readonly #template: YesNoRerankerTemplate;
  readonly #prefixIds: number[];
  readonly #suffixIds: number[];
  readonly #salt: string;

  constructor(
    tokenizerJson: Json,
    tokenizerConfig: Json,
    template: YesNoRerankerTemplate,
    options: PromptEncoderOptions,
  ) {
    validateTemplate(template);
    const { tokenizer, encode } = libraryEncoder(tokenizerJson, tokenizerConfig);
    this.#encode = encode;
    this.#template = template;
    this.maxLength = options.maxLength;
    this.maxQueryTokens = options.maxQueryTokens;
    this.#salt = options.keySalt;
    this.#prefixIds = encode(template.prefix);
    this.#suffixIds = encode(template.suffix);
    this.pairSpecialTokens = this.#prefixIds.length + this.#suffixIds.length;
    const label = (word: string) => {
      const id = tokenizer.token_to_id(word);
      if (id === undefined) {
        throw new RerankerError(
          'MODEL_LOAD_FAILED',
          `The template's label "${word}" is not one token of this tokenizer; a yes/no reranker reads one logit per label.`,
        );
      }
      return id;
    };
    this.labelIds = { yes: label(template.labels.yes), no: label(template.labels.no) };
    const pad = tokenizerConfig.pad_token;
    const padText = typeof pad === 'object' && pad !== null ? (pad as Json).content : pad;
    // Padding is masked out, so any id serves; the pad token when there is one, else the first suffix id.
    this.padTokenId =
      (typeof padText === 'string' ? tokenizer.token_to_id(padText) : undefined) ?? this.#suffixIds[0] ?? 0;
    this.boundary = chooseDocumentBoundary(template, encode);
    if (options.maxLength < this.pairSpecialTokens + 2) {
      throw new RerankerError(
        'INVALID_CONFIG',
        `maxLength ${options.maxLength} leaves no room for a query and a document after the template's ${this.pairSpecialTokens} prefix and suffix tokens.`,
      );
    }
  }

  tokenize(text: string): number[] {
    return this.#encode(text);
  }

  /** Byte-level BPE is not cut-safe (see `prefixCutSafety`), so the whole text is tokenized. */
  leadingTokens(text: string, _minTokens: number): LeadingTokens {
    return { ids: this.#encode(text), complete: true };
  }

  /** The shared prefix of a (query, instruction); throws INVALID_INPUT when it leaves no room for a document. */
  async prepareQuery(query: string, instruction?: string): Promise<PreparedPrompt> {
    requireString(query, 'query');
    const values = { instruction: instruction ?? this.#template.defaultInstruction, query };
    const head = this.boundary.head;
    // The query as the body tokenizes it: with the whitespace before it, as BPE joins them.
    const [beforeQuery, queryLead, afterQuery] = splitAtSlot(head, '{query}');
    const queryIds = this.#encode(queryLead + query);
    const truncated = queryIds.length > this.maxQueryTokens;
    const headIds = truncated
      ? [
          ...this.#encode(fillSlots(beforeQuery, values)),
          ...queryIds.slice(0, this.maxQueryTokens),
          ...this.#encode(fillSlots(afterQuery, values)),
        ]
      : this.#encode(fillSlots(head, values));
    const ids = [...this.#prefixIds, ...headIds];
    const room = this.maxLength - ids.length - this.#suffixIds.length;
    if (room < 1) {
      throw new RerankerError(
        'INVALID_INPUT',
        `The instruction and query take ${ids.length + this.#suffixIds.length} prompt tokens, leaving no room for the document within maxLength ${this.maxLength}; shorten the instruction or lower maxQueryTokens.`,
      );
    }
    const inputIds = BigInt64Array.from(ids, BigInt);
    return {
      ids: truncated ? queryIds.slice(0, this.maxQueryTokens) : queryIds,
      truncated,
      prefix: { key: await prefixKey(this.#salt, ids), inputIds },
      room,
    };
  }

  /** One row: the document's tokens (its tail cut to the room left) and the whole suffix. */
  encodePair(query: PreparedPrompt, document: string): TokenizedPair {
    requireString(document, 'document');
    const docIds = this.#encode(this.boundary.lead + document);
    const kept = Math.min(docIds.length, query.room);
    const inputIds = new Array<number>(kept + this.#suffixIds.length);
    for (let i = 0; i < kept; i++) inputIds[i] = docIds[i]!;
    for (let i = 0; i < this.#suffixIds.length; i++) inputIds[kept + i] = this.#suffixIds[i]!;
    return { inputIds, tokenTypeIds: new Array<number>(inputIds.length).fill(0), prefix: query.prefix };
  }
}

/** SHA-256 over the salt and the ids; without Web Crypto, the ids themselves (exact, only longer). */
async function prefixKey(salt: string, ids: readonly number[]): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return `prefix:${salt}:${ids.join(',')}`;
  const head = new TextEncoder().encode(`${JSON.stringify(salt)}:`);
  const bytes = new Uint8Array(head.length + ids.length * 4);
  bytes.set(head);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < ids.length; i++) view.setUint32(head.length + i * 4, ids[i]!, true);
  return `prefix:${hex(await subtle.digest('SHA-256', bytes))}`;
}

function requireString(value: unknown, what: string): void {
  if (typeof value !== 'string') {
    throw new RerankerError('INVALID_INPUT', `The ${what} must be a string, got ${typeof value}.`);
  }
}
