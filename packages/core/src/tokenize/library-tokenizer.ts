import { Tokenizer } from '@huggingface/tokenizers';
import { errorMessage, RerankerError } from '../errors';

type Json = Record<string, unknown>;

/** The part of tokenizers.js's Unigram model we touch. */
interface UnigramModel {
  tokenize(word: string): string[];
  encode(words: string[]): string[];
}

/**
 * tokenizers.js 0.2.0 Unigram appends each word's pieces with `push(...pieces)`, which overflows the
 * call stack past ~100k pieces in one word. A lone Metaspace pre-tokenizer (XLM-R's tokenizer.json)
 * makes the whole text one word, so long documents would throw. Same pieces, appended in a loop.
 */
function appendWithoutSpread(model: unknown): void {
  const unigram = model as Partial<UnigramModel> | null;
  if (typeof unigram?.tokenize !== 'function' || typeof unigram.encode !== 'function') return;
  const tokenize = unigram.tokenize.bind(unigram);
  unigram.encode = (words: string[]): string[] => {
    const pieces: string[] = [];
    for (const word of words) for (const piece of tokenize(word)) pieces.push(piece);
    return pieces;
  };
}

/** A text's token ids without special tokens. */
export type Encode = (text: string) => number[];

/**
 * Builds the tokenizers.js tokenizer once, without its post-processor (pairs are laid out by the
 * template instead, so the library returns bare ids), and returns its encode function.
 */
export function libraryEncoder(
  tokenizerJson: Json,
  tokenizerConfig: Json,
): { tokenizer: Tokenizer; encode: Encode } {
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer({ ...tokenizerJson, post_processor: null }, tokenizerConfig);
  } catch (error) {
    throw new RerankerError(
      'MODEL_LOAD_FAILED',
      `tokenizer.json could not be loaded: ${errorMessage(error)}. Check that it comes from a Hugging Face fast tokenizer.`,
      { cause: error },
    );
  }
  const model = tokenizerJson.model as Json | undefined;
  if (model?.type === 'Unigram' || Array.isArray(model?.vocab)) appendWithoutSpread(tokenizer.model);
  const encode: Encode = (text) => {
    try {
      return tokenizer.encode(text, { add_special_tokens: false }).ids;
    } catch (error) {
      throw new RerankerError(
        'INVALID_INPUT',
        `The tokenizer failed on a text of ${text.length} characters (${errorMessage(error)}); shorten or split the text.`,
        { cause: error },
      );
    }
  };
  return { tokenizer, encode };
}
