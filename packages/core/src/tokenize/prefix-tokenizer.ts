import { nextSafeCut } from './prefix-safety';

/** The first ids of a text's tokenization. */
export interface LeadingTokens {
  /** Exactly the first `ids.length` ids of the full tokenization of the text. */
  ids: number[];
  /** True when the whole text was tokenized, so `ids` is everything. */
  complete: boolean;
}

/** A first guess generous enough for most languages to finish in one pass (English runs ~4.5). */
const CHARS_PER_TOKEN_GUESS = 6;
/** Tokenizing the last quarter as well costs less than a second pass. */
const WHOLE_TEXT_SLACK = 1.25;

/**
 * Tokenizes only as much of `text` as needed for `minTokens` ids. `encode` must be cut-safe (see
 * `prefixCutSafety`); the prefix is cut only at safe cuts, and grows geometrically when it gave too
 * few ids, so the total work stays linear in the part of the text read.
 */
export function leadingTokens(
  encode: (text: string) => number[],
  text: string,
  minTokens: number,
): LeadingTokens {
  let want = minTokens * CHARS_PER_TOKEN_GUESS + 64;
  for (;;) {
    const cut = want * WHOLE_TEXT_SLACK >= text.length ? text.length : nextSafeCut(text, want);
    if (cut >= text.length) return { ids: encode(text), complete: true };
    const ids = encode(text.slice(0, cut));
    if (ids.length >= minTokens) return { ids, complete: false };
    const charsPerToken = cut / Math.max(ids.length, 1);
    want = Math.max(Math.ceil(cut * 1.5), Math.ceil(cut + (minTokens - ids.length) * charsPerToken * 1.25));
  }
}
