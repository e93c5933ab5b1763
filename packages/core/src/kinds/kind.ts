import type { TokenizedPair } from '../batching';
import type { ModelConfig } from '../model';
import type { PairScore } from '../scores';
import type { LeadingTokens, PreparedQuery, TruncationStrategy } from '../tokenize/pair-encoder';
import type { YesNoRerankerTemplate } from './yes-no-template';

/**
 * - `cross-encoder`: a sequence classifier scoring `[CLS] query [SEP] document [SEP]` (BERT, XLM-R,
 *   ModernBERT, DeBERTa...).
 * - `decoder-yes-no`: a causal LM prompted by a `YesNoRerankerTemplate`, scored by the `yes` and `no`
 *   logits at the last position (Qwen3-Reranker).
 * - `decoder-seq-cls`: the same prompt on a one-label sequence-classification conversion of such a
 *   model, whose logit is the score.
 */
export type ModelKindName = 'cross-encoder' | 'decoder-yes-no' | 'decoder-seq-cls';

/**
 * The graph a backend runs for a kind. `pair`: `input_ids`, `attention_mask` and (when declared)
 * `token_type_ids`, each `[rows, width]`; `logits` `[rows, labels]`. `prefix-cache`: `input_ids`,
 * `attention_mask` of the rows and `past_key_values.{i}.key/value` `[1, kv_heads, past, head_dim]` of
 * the batch's prefix; `logits` `[rows, labels]` at each row's last real token (`[no, yes]` for
 * yes/no kinds), plus `present.{i}.key/value` of the rows' own tokens.
 */
export interface GraphContract {
  readonly inputs: 'pair' | 'prefix-cache';
}

/** What a kind asks of a backend, passed as `BackendLoadOptions.kind`. */
export interface BackendKindInfo {
  name: ModelKindName;
  /** Logits per row the backend returns. */
  numLabels: number;
  graph: GraphContract;
  /**
   * Yes/no kinds: the vocabulary ids of the label tokens, for backends that run an export with
   * full-vocabulary logits (return `[logits[no], logits[yes]]` per row).
   */
  labelTokenIds?: { no: number; yes: number };
  /** The id padding positions hold (masked out). */
  padTokenId: number;
}

/** Tokenizes a kind's pairs: a query (with its instruction) once per request, then each document. */
export interface KindEncoder<Q extends PreparedQuery = PreparedQuery> {
  readonly maxLength: number;
  readonly maxQueryTokens: number;
  readonly truncation: TruncationStrategy;
  /** Tokens a pair always adds (cross-encoders: special tokens; decoders: template prefix and suffix). */
  readonly pairSpecialTokens: number;
  readonly padTokenId: number;
  tokenize(text: string): number[];
  leadingTokens(text: string, minTokens: number): LeadingTokens;
  prepareQuery(query: string, instruction?: string): Q | Promise<Q>;
  encodePair(query: Q, document: string): TokenizedPair;
}

export interface KindEncoderOptions {
  maxLength: number;
  /** Undefined: the kind's default. */
  maxQueryTokens: number | undefined;
  truncation: TruncationStrategy;
  /** The model fingerprint (decoders salt their prefix keys with it). */
  fingerprint: string;
}

/** The tokenizer files of a model, parsed. */
export interface KindTokenizerFiles {
  config: ModelConfig;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/** Everything the engine does differently per kind of model. */
export interface ModelKind {
  readonly name: ModelKindName;
  /** Logits per pair. */
  readonly numLabels: number;
  readonly graph: GraphContract;
  /** The prompt template (decoder kinds). */
  readonly template: Readonly<YesNoRerankerTemplate> | undefined;
  /** The instruction used when a call gives none (decoder kinds). */
  readonly defaultInstruction: string | undefined;
  /** `maxLength` when the options give none; undefined: the engine's default. */
  readonly defaultMaxLength: number | undefined;
  /** Longest sequence the model takes, from its config files. */
  modelMaxLength(files: KindTokenizerFiles): number;
  encoder(files: KindTokenizerFiles, options: KindEncoderOptions): KindEncoder;
  /**
   * A call's instruction: the given one or the default. Throws INVALID_INPUT as `validateInstruction`
   * says (a kind that takes none, a blank or too long one).
   */
  instruction(requested: unknown): string | undefined;
  /** What a pair cache key covers beyond the texts and the model (template, instruction). Empty for cross-encoders. */
  keyParts(instruction: string | undefined): readonly unknown[];
  /** `score` (log-odds or raw logit) and `relevanceScore` = sigmoid(score) from one pair's logits. */
  score(logits: ArrayLike<number>): PairScore;
  backendInfo(encoder: KindEncoder): BackendKindInfo;
}
