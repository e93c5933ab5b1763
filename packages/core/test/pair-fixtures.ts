import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { synthesizedModelDir } from '@reranker/testkit';
import { PairEncoder, type PairEncoderOptions } from '../src/tokenize/pair-encoder';

// Same generator as the testkit's (re-exported for this module's users).
export { seededRandom } from '@reranker/testkit';

export type TinyPreset = 'tiny' | 'tiny-xlmr';

export interface TokenizerFiles {
  dir: string;
  json: Record<string, unknown>;
  config: Record<string, unknown>;
}

/** tokenizer.json and tokenizer_config.json of a synthesized model, parsed fresh for each caller. */
export async function tokenizerFiles(preset: TinyPreset): Promise<TokenizerFiles> {
  const dir = await synthesizedModelDir(preset);
  const read = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8'));
  return { dir, json: await read('tokenizer.json'), config: await read('tokenizer_config.json') };
}

/** A PairEncoder on a synthesized model, with the type_vocab_size of its config.json. */
export async function tinyEncoder(
  preset: TinyPreset,
  options: Omit<PairEncoderOptions, 'typeVocabSize'>,
): Promise<PairEncoder> {
  const { json, config } = await tokenizerFiles(preset);
  return PairEncoder.fromJson(json, config, { ...options, typeVocabSize: preset === 'tiny' ? 2 : 1 });
}

// Pieces that stress the cut: accents (composed and combining), case mappings that change length or
// depend on context (İ, final sigma), compatibility forms, CJK, emoji, format and control
// characters, no-break spaces, special tokens, punctuation runs and words past WordPiece's 100 chars.
const WORDS = [
  ...'the capital running quickly museums Paris France information largest'.split(' '),
  ...'café Zürich naïve cre\u0301me bru\u0302le\u0301e e\u0301 piñata İstanbul ΟΔΟΣ Σ οδός русский'.split(
    ' ',
  ),
  ...'ﬁnance ＡＢＣ 東京 今日は 🙂 🚀x x\u200by \u200b a\u00ad [CLS] [SEP] <s> </s> <mask> [MASK]x'.split(
    ' ',
  ),
  ..."don't it's 3.14 2024 1,000 x Q 9 Σa aΣ ǅ ß ŉ \u0301 ﷺ ٣".split(' '),
  'a'.repeat(101),
  'abc'.repeat(45),
];
const PUNCT = [',', '.', '!?', '(', ')', '—', '...', '"', "'", ':', ';', '-', '/', '#', '%'];
const SEPARATORS = [' ', ' ', ' ', ' ', '  ', '\n', '\t', ' \n ', '', '\u00a0', '\u3000', '\r\n', ' \u0301'];

/** A seeded document of `words` random words, punctuation and separators. */
export function randomDocument(random: () => number, words: number): string {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  let text = random() < 0.2 ? pick(SEPARATORS) : '';
  for (let i = 0; i < words; i++) {
    const r = random();
    let word = r < 0.15 ? pick(PUNCT) : pick(WORDS);
    if (random() < 0.1) word = word.toUpperCase();
    if (random() < 0.1) word += pick(PUNCT);
    text += word + pick(SEPARATORS);
  }
  return text;
}
