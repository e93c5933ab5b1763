/**
 * Decides whether a document may be tokenized from a prefix of its text instead of in full.
 *
 * The cut is made only at a "safe cut": an ASCII whitespace character right after an ASCII letter or
 * digit (see `isSafeCut`). For a tokenizer that passes `prefixCutSafety`, the ids of
 * `text.slice(0, cut)` are then exactly the first ids of the whole text, with tokenizers.js 0.2.0:
 *
 * - added tokens: none holds whitespace, so no added-token match spans the cut, and lstrip/rstrip
 *   only trim whitespace that the ASCII character before the cut stops;
 * - normalizers: Unicode normalization never reorders or composes across a space (a starter that
 *   composes with nothing); lowercasing is context-free except the final sigma, whose look-ahead an
 *   ASCII letter or digit ends; the remaining ones map one character at a time, touch only the ends
 *   of the text, or (Replace) match runs of whitespace, which cannot include the character before
 *   the cut;
 * - pre-tokenizer: its first stage splits words at whitespace, so the word before the cut ends there
 *   in both texts, and every later stage sees one word at a time;
 * - model: WordPiece and Unigram encode each word on its own; Unigram then fuses runs of unknown
 *   pieces, which cannot reach back into the prefix when every ASCII letter and digit is a piece.
 *
 * Anything else (a lone Metaspace, whose single Unigram lattice over the whole text may resolve
 * near-ties differently after a cut; ByteLevel/BPE; custom Replace patterns) is tokenized in full.
 */

/** Whether a prefix cut is provably invisible, and why not when it is not. */
export type PrefixSafety = { safe: true } | { safe: false; reason: string };

type Json = Record<string, unknown>;

const isRecord = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const WHITESPACE = /\s/;
const ASCII_ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** Normalizers that map characters one by one or only touch the ends of the text. */
const LOCAL_NORMALIZERS = new Set([
  'BertNormalizer',
  'NFC',
  'NFD',
  'NFKC',
  'NFKD',
  'Lowercase',
  'StripAccents',
  'Strip',
  'Precompiled',
  'Prepend',
]);
const WORD_SPLITTERS = new Set(['BertPreTokenizer', 'WhitespaceSplit', 'Whitespace']);
/** Replace patterns whose every match is a run of whitespace (never empty). */
const WHITESPACE_RUN = /^(?: |\\s)(?:\+|\{[1-9]\d*,\d*\})?$/;

function normalizerProblem(config: unknown): string | undefined {
  if (config === null || config === undefined) return undefined;
  if (!isRecord(config)) return 'normalizer is not an object';
  const type = String(config.type);
  if (LOCAL_NORMALIZERS.has(type)) return undefined;
  if (type === 'Sequence') {
    const list = Array.isArray(config.normalizers) ? config.normalizers : [];
    for (const child of list) {
      const problem = normalizerProblem(child);
      if (problem) return problem;
    }
    return undefined;
  }
  if (type === 'Replace') {
    const pattern = isRecord(config.pattern) ? (config.pattern.String ?? config.pattern.Regex) : undefined;
    const ok = typeof pattern === 'string' && WHITESPACE_RUN.test(pattern) && config.content === ' ';
    return ok ? undefined : `Replace normalizer ${JSON.stringify(config.pattern)} may match across words`;
  }
  return `normalizer ${type} is not known to be cut-safe`;
}

/** The first stage must split at whitespace; later stages then only ever see single words. */
function preTokenizerProblem(config: unknown): string | undefined {
  if (!isRecord(config)) return 'no pre-tokenizer splits words at whitespace';
  const type = String(config.type);
  if (WORD_SPLITTERS.has(type)) return undefined;
  if (type === 'Sequence' && Array.isArray(config.pretokenizers) && config.pretokenizers.length > 0) {
    return preTokenizerProblem(config.pretokenizers[0]);
  }
  return `pre-tokenizer ${type} does not split words at whitespace first`;
}

function modelProblem(model: unknown): string | undefined {
  if (!isRecord(model)) return 'model is not an object';
  if (model.type === 'WordPiece')
    return model.fuse_unk === true ? 'WordPiece fuses unknown tokens' : undefined;
  if (model.type !== 'Unigram') return `model ${String(model.type)} is not known to be cut-safe`;
  const pieces = new Set<unknown>();
  if (Array.isArray(model.vocab))
    for (const entry of model.vocab) if (Array.isArray(entry)) pieces.add(entry[0]);
  const missing = [...ASCII_ALNUM].find((ch) => !pieces.has(ch));
  return missing === undefined ? undefined : `Unigram vocabulary lacks the piece "${missing}"`;
}

/**
 * Checks tokenizer.json and tokenizer_config.json against the conditions above. `normalize` is the
 * tokenizer's own normalizer, to see added tokens the way it matches them.
 */
export function prefixCutSafety(
  tokenizerJson: Json,
  tokenizerConfig: Json,
  normalize: ((text: string) => string) | null,
): PrefixSafety {
  const unsafe = (reason: string): PrefixSafety => ({ safe: false, reason });
  if (tokenizerConfig.remove_space === true || tokenizerConfig.do_lowercase_and_remove_accent === true) {
    return unsafe('tokenizer_config.json rewrites whitespace or accents before normalizing');
  }
  const added = Array.isArray(tokenizerJson.added_tokens) ? tokenizerJson.added_tokens : [];
  for (const token of added) {
    const content = isRecord(token) ? token.content : undefined;
    if (typeof content !== 'string') return unsafe('an added token has no content');
    const normalized = normalize && (token as Json).normalized !== false ? normalize(content) : content;
    if (WHITESPACE.test(content) || WHITESPACE.test(normalized)) {
      return unsafe(`added token ${JSON.stringify(content)} holds whitespace`);
    }
  }
  const problem =
    normalizerProblem(tokenizerJson.normalizer) ??
    preTokenizerProblem(tokenizerJson.pre_tokenizer) ??
    modelProblem(tokenizerJson.model);
  return problem === undefined ? { safe: true } : unsafe(problem);
}

const isAsciiAlnum = (code: number) =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
const isAsciiSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/** Whether `text` may be cut before index `i`: ASCII whitespace at `i`, ASCII letter or digit before it. */
export function isSafeCut(text: string, i: number): boolean {
  return i > 0 && i < text.length && isAsciiSpace(text.charCodeAt(i)) && isAsciiAlnum(text.charCodeAt(i - 1));
}

/** The first safe cut at or after `from`, or `text.length` when there is none. */
export function nextSafeCut(text: string, from: number): number {
  for (let i = Math.max(from, 1); i < text.length; i++) if (isSafeCut(text, i)) return i;
  return text.length;
}
