import { basename, dirname } from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadReferenceModel,
  maxAbsDiff,
  type PresetName,
  referenceLogits,
  synthesizedModelDir,
} from '../src/index';

// Fully offline: the hub is never asked; the synthesized folder must be enough on its own.
env.allowRemoteModels = false;
env.allowLocalModels = true;

const dirs = {} as Record<PresetName, string>;
beforeAll(async () => {
  for (const preset of ['tiny', 'tiny-2label', 'tiny-xlmr', 'tiny-deberta'] as const)
    dirs[preset] = await synthesizedModelDir(preset);
});

/** transformers.js resolves a model id under `env.localModelPath`. */
function localId(dir: string): string {
  env.localModelPath = `${dirname(dir)}/`;
  return basename(dir);
}

async function tokenize(preset: PresetName, text: string, pair?: string) {
  const tokenizer = await AutoTokenizer.from_pretrained(localId(dirs[preset]));
  const encoded = tokenizer(text, pair === undefined ? {} : { text_pair: pair });
  const ids = Array.from(encoded.input_ids.data as BigInt64Array, Number);
  const types = encoded.token_type_ids
    ? Array.from(encoded.token_type_ids.data as BigInt64Array, Number)
    : undefined;
  return { tokenizer, ids, types };
}

describe('@huggingface/transformers loads the synthesized folder offline', () => {
  it('BERT tokenizer: golden ids for a single text (lowercasing, punctuation split)', async () => {
    const { tokenizer, ids } = await tokenize('tiny', 'Hello, world!');
    expect(tokenizer.constructor.name).toBe('BertTokenizer');
    expect(ids).toEqual(GOLDEN.bertSingle);
  });

  it('BERT tokenizer: golden ids and token_type_ids for a pair, continuations and accents', async () => {
    const { ids, types } = await tokenize(
      'tiny',
      'What is the capital of France?',
      'Café in Zürich, running quickly.',
    );
    expect(ids).toEqual(GOLDEN.bertPair);
    // [CLS] query [SEP] → segment 0; document [SEP] → segment 1.
    const firstSep = ids.indexOf(102);
    expect(types).toEqual(ids.map((_, i) => (i <= firstSep ? 0 : 1)));
  });

  it('BERT tokenizer: ordinary English does not fall back to [UNK]', async () => {
    const text =
      'The committee published its annual report on Tuesday, describing how local schools improved reading scores.';
    const { ids } = await tokenize('tiny', text);
    expect(ids.filter((id) => id === 100)).toEqual([]);
  });

  it('XLM-R tokenizer: golden ids for a pair in the <s> q </s></s> d </s> template, no token types', async () => {
    const { tokenizer, ids, types } = await tokenize(
      'tiny-xlmr',
      'What is the capital of France?',
      'Paris is running.',
    );
    expect(tokenizer.constructor.name).toBe('XLMRobertaTokenizer');
    expect(ids).toEqual(GOLDEN.xlmrPair);
    expect(types).toBeUndefined();
  });

  it('DeBERTa-v3 tokenizer: golden ids for a pair in the [CLS] q [SEP] d [SEP] template, types 0 then 1', async () => {
    const { tokenizer, ids, types } = await tokenize(
      'tiny-deberta',
      'What is the capital of France?',
      'Paris is running.',
    );
    expect(tokenizer.constructor.name).toBe('DebertaV2Tokenizer');
    expect(ids).toEqual(GOLDEN.debertaPair);
    const firstSep = ids.indexOf(2);
    expect(types).toEqual(ids.map((_, i) => (i <= firstSep ? 0 : 1)));
  });

  it.each(['tiny', 'tiny-2label', 'tiny-xlmr', 'tiny-deberta'] as const)(
    '%s: AutoModelForSequenceClassification gives the reference logits',
    async (preset) => {
      const id = localId(dirs[preset]);
      const tokenizer = await AutoTokenizer.from_pretrained(id);
      const model = await AutoModelForSequenceClassification.from_pretrained(id, { dtype: 'fp32' });
      const encoded = tokenizer('how do magnets work', {
        text_pair: 'Magnets attract iron because of aligned electron spins.',
      });
      const { logits } = await model(encoded);
      const reference = referenceLogits(await loadReferenceModel(dirs[preset]), {
        inputIds: Array.from(encoded.input_ids.data as BigInt64Array, Number),
        tokenTypeIds: encoded.token_type_ids
          ? Array.from(encoded.token_type_ids.data as BigInt64Array, Number)
          : undefined,
      });
      const got = Array.from(logits.data as Float32Array);
      expect(got).toHaveLength(preset === 'tiny-2label' ? 2 : 1);
      expect(maxAbsDiff(got, reference)).toBeLessThan(1e-4);
      await model.dispose();
    },
  );
});

/** Token ids checked by hand against the kit's vocabulary layout (see the comments for the tokens). */
const GOLDEN = {
  // [CLS] he ##l ##l ##o , world ! [SEP]  ("hello" is not among the 2000 words: WordPiece continuations)
  bertSingle: [101, 290, 189, 189, 192, 151, 351, 140, 102],
  // [CLS] what is the capital of france ? [SEP] ca ##f ##e in z ##u ##r ##i ##c ##h , running quick ##ly . [SEP]
  // (accents stripped by BertNormalizer: café → cafe, zürich → zurich)
  bertPair: [
    101, 293, 246, 240, 1376, 241, 991, 160, 102, 808, 183, 182, 244, 129, 198, 195, 186, 180, 185, 151, 1316,
    1147, 223, 153, 102,
  ],
  // <s> ▁What ▁is ▁the ▁capital ▁of ▁F r a n c e ? </s> </s> ▁P a r i s ▁is ▁running . </s>
  // (cased vocabulary: "France" and "Paris" fall back to single-character pieces)
  xlmrPair: [
    0, 116, 19, 5, 1667, 7, 430, 2543, 2526, 2539, 2528, 2530, 2668, 2, 2, 416, 2526, 2543, 2534, 2505, 19,
    1607, 2661, 2,
  ],
  // [CLS] ▁What ▁is ▁the ▁capital ▁of ▁F r a n c e ? [SEP] ▁P a r i s ▁is ▁running . [SEP]
  // (the pieces sit where XLM-R's do: both vocabularies start with four specials)
  debertaPair: [
    1, 116, 19, 5, 1667, 7, 430, 2543, 2526, 2539, 2528, 2530, 2668, 2, 416, 2526, 2543, 2534, 2505, 19, 1607,
    2661, 2,
  ],
} as const;
