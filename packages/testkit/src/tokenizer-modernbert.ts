import type { ModelDims } from './presets';
import { addedToken, byteLevelBpeModel, sequence, special, type TokenizerFiles } from './tokenizer-parts';
import { commonEnglishWords } from './vocab';

/**
 * Tokenizer files in the layout of ModernBERT's (answerdotai/ModernBERT-base, and so
 * gte-reranker-modernbert-base): a byte-level BPE (GPT-2 byte alphabet, no prefix space) with
 * `[CLS] A [SEP] B [SEP]` pairs, the specials [UNK] [CLS] [SEP] [PAD] [MASK] 88 rows before the end of
 * the vocabulary, and no token types among the model inputs.
 */
export function modernBertTokenizer(dims: ModelDims): TokenizerFiles {
  const { vocab, merges } = byteLevelBpe(dims.vocabSize, dims.vocabWords);
  const id = (token: string) => vocab.indexOf(token);
  const [unk, cls, sep, pad, mask] = SPECIALS;
  const added = (token: string, lstrip = false) => addedToken(id(token), token, lstrip);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const names = { cls_token: cls, sep_token: sep, pad_token: pad, unk_token: unk, mask_token: mask };
  return {
    'tokenizer.json': {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [added(unk), added(cls), added(sep), added(pad), added(mask, true)],
      normalizer: { type: 'NFC' },
      pre_tokenizer: byteLevel,
      post_processor: {
        type: 'TemplateProcessing',
        single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
        pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
        special_tokens: {
          [cls]: { id: cls, ids: [id(cls)], tokens: [cls] },
          [sep]: { id: sep, ids: [id(sep)], tokens: [sep] },
        },
      },
      decoder: { ...byteLevel, add_prefix_space: true },
      model: byteLevelBpeModel(vocab, merges),
    },
    'tokenizer_config.json': {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: dims.modelMaxLength,
      clean_up_tokenization_spaces: true,
      model_input_names: ['input_ids', 'attention_mask'],
      ...names,
    },
    'special_tokens_map.json': names,
  };
}

const SPECIALS = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'] as const;

/** GPT-2's reversible map from bytes to printable characters (a space becomes `Ġ`). */
export function byteAlphabet(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let next = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : next++));
}

/**
 * A byte-level BPE vocabulary: the 256 byte characters, then merges that make each common word (with
 * and without the leading-space `Ġ`, capitalized for the most common) one token, so ordinary English
 * becomes whole words and anything else falls back to smaller pieces or bytes.
 */
export function byteLevelBpe(size: number, wordCount: number): { vocab: string[]; merges: string[] } {
  const vocab = byteAlphabet();
  const seen = new Set(vocab);
  const ranks = new Map<string, number>();
  const words = commonEnglishWords(wordCount);
  const forms = words.flatMap((w, rank) => {
    const capital = w[0]!.toUpperCase() + w.slice(1);
    return rank < 100 ? [`Ġ${w}`, w, `Ġ${capital}`, capital] : [`Ġ${w}`];
  });
  for (const form of forms) {
    // Merges are only appended (ranked last), and BPE applies a merge only when no earlier-ranked one
    // applies: words already whole stay whole. Join what the current merges leave, left to right.
    const pieces = applyMerges([...form], ranks);
    while (pieces.length > 1) {
      const joined = pieces[0]! + pieces[1]!;
      ranks.set(`${pieces[0]} ${pieces[1]}`, ranks.size);
      if (!seen.has(joined)) {
        seen.add(joined);
        vocab.push(joined);
      }
      pieces.splice(0, 2, joined);
    }
  }
  const merges = [...ranks.keys()];
  const specialsAt = size - 88;
  if (vocab.length > specialsAt) {
    throw new Error(
      `vocabulary needs ${vocab.length + 88} entries but vocabSize is ${size}: raise vocabSize or lower vocabWords`,
    );
  }
  for (let i = 0; vocab.length < specialsAt; i++) vocab.push(`<|unused_${i}|>`);
  vocab.push(...SPECIALS);
  for (let i = 0; vocab.length < size; i++) vocab.push(`[unused${i}]`);
  return { vocab, merges };
}

/** BPE on one word: repeatedly merge the adjacent pair of lowest rank. */
function applyMerges(pieces: string[], ranks: ReadonlyMap<string, number>): string[] {
  for (;;) {
    let best = -1;
    let bestRank = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 1 < pieces.length; i++) {
      const rank = ranks.get(`${pieces[i]} ${pieces[i + 1]}`);
      if (rank !== undefined && rank < bestRank) {
        best = i;
        bestRank = rank;
      }
    }
    if (best < 0) return pieces;
    pieces.splice(best, 2, pieces[best]! + pieces[best + 1]!);
  }
}
