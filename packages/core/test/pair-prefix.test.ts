import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { PairEncoder } from '../src/tokenize/pair-encoder';
import { isSafeCut, prefixCutSafety } from '../src/tokenize/prefix-safety';
import { randomDocument, seededRandom, type TinyPreset, tokenizerFiles } from './pair-fixtures';

/** Variants of the synthesized tokenizers whose normalizers and pre-tokenizers take other cut-safe paths. */
function variant(json: Record<string, unknown>, name: string): Record<string, unknown> {
  if (name === 'xlmr-precompiled')
    return {
      ...json,
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Precompiled', precompiled_charsmap: '' },
          { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
        ],
      },
    };
  if (name === 'bert-nfd-lower')
    return {
      ...json,
      normalizer: {
        type: 'Sequence',
        normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }],
      },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation' }],
      },
    };
  return json;
}

const CASES: [TinyPreset, string][] = [
  ['tiny', 'as synthesized'],
  ['tiny-xlmr', 'as synthesized'],
  ['tiny-xlmr', 'xlmr-precompiled'],
  ['tiny', 'bert-nfd-lower'],
];

async function setup(preset: TinyPreset, name: string) {
  const files = await tokenizerFiles(preset);
  const json = variant(files.json, name);
  const encoder = PairEncoder.fromJson(json, files.config, { maxLength: 512, maxQueryTokens: 16 });
  return { encoder, json, config: files.config };
}

describe.each(CASES)('%s (%s): a safe cut never changes the ids before it', (preset, name) => {
  it('is judged cut-safe', async () => {
    expect((await setup(preset, name)).encoder.prefixSafety).toEqual({ safe: true });
  });

  it('every safe cut of 60 random documents tokenizes to a prefix of the full ids', async () => {
    const { encoder } = await setup(preset, name);
    const random = seededRandom(preset.length * 1000 + name.length);
    let cuts = 0;
    for (let doc = 0; doc < 60; doc++) {
      const text = randomDocument(random, 20 + Math.floor(random() * 120));
      const full = encoder.tokenize(text);
      for (let i = 1; i < text.length; i++) {
        if (!isSafeCut(text, i) || random() > 0.3) continue;
        const head = encoder.tokenize(text.slice(0, i));
        expect(head, `cut at ${i} of ${JSON.stringify(text)}`).toEqual(full.slice(0, head.length));
        cuts++;
      }
    }
    expect(cuts).toBeGreaterThan(300);
  });

  it('leadingTokens gives the first ids of the full tokenization, from a prefix when it can', async () => {
    const { encoder } = await setup(preset, name);
    const random = seededRandom(7 + name.length);
    let fromPrefix = 0;
    for (let doc = 0; doc < 40; doc++) {
      const text = randomDocument(random, 200 + Math.floor(random() * 2000));
      const full = encoder.tokenize(text);
      for (const need of [1, 9, 60, 250, 700, 5000]) {
        const { ids, complete } = encoder.leadingTokens(text, need);
        expect(ids).toEqual(complete ? full : full.slice(0, ids.length));
        expect(ids.length).toBeGreaterThanOrEqual(Math.min(need, full.length));
        if (!complete) fromPrefix++;
      }
    }
    expect(fromPrefix).toBeGreaterThan(100);
  });
});

describe('prefix tokenization: where it is and is not used', () => {
  it('cutting anywhere else would change ids: the random documents do exercise the rule', async () => {
    const { encoder } = await setup('tiny', 'as synthesized');
    const random = seededRandom(99);
    let changed = 0;
    for (let doc = 0; doc < 20; doc++) {
      const text = randomDocument(random, 60);
      const full = encoder.tokenize(text);
      for (let i = 1; i < text.length; i += 3) {
        const head = encoder.tokenize(text.slice(0, i));
        if (head.some((id, k) => id !== full[k])) changed++;
      }
    }
    expect(changed).toBeGreaterThan(50);
  });

  it.each([
    [
      'a lone Metaspace (one Unigram lattice over the whole text)',
      'tiny-xlmr',
      { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' } },
      'Metaspace',
    ],
    [
      'a Replace that can join words',
      'tiny',
      { normalizer: { type: 'Replace', pattern: { String: ' ' }, content: '' } },
      'Replace',
    ],
    [
      'an added token holding a space',
      'tiny',
      { added_tokens: [{ id: 5, content: 'new york', special: false }] },
      'new york',
    ],
    ['a BPE model', 'tiny', { model: { type: 'BPE', vocab: { a: 0 }, merges: [] } }, 'BPE'],
  ] as const)('refuses %s and tokenizes in full', async (_what, preset, patch, reason) => {
    const { json, config } = await tokenizerFiles(preset);
    const encoder = PairEncoder.fromJson({ ...json, ...patch }, config, {
      maxLength: 512,
      maxQueryTokens: 16,
    });
    expect(encoder.prefixSafety.safe).toBe(false);
    expect(encoder.prefixSafety.safe ? '' : encoder.prefixSafety.reason).toContain(reason);
    const text = randomDocument(seededRandom(3), 3000);
    expect(encoder.leadingTokens(text, 10)).toEqual({ ids: encoder.tokenize(text), complete: true });
  });

  it('prefixCutSafety: judges hand-written configurations', () => {
    const wordPiece = { type: 'WordPiece', vocab: {}, unk_token: '[UNK]' };
    const base = {
      normalizer: null,
      pre_tokenizer: { type: 'BertPreTokenizer' },
      model: wordPiece,
      added_tokens: [],
    };
    expect(prefixCutSafety(base, {}, null)).toEqual({ safe: true });
    expect(prefixCutSafety(base, { remove_space: true }, null).safe).toBe(false);
    expect(prefixCutSafety({ ...base, pre_tokenizer: null }, {}, null).safe).toBe(false);
    const splitLater = {
      type: 'Sequence',
      pretokenizers: [{ type: 'Metaspace' }, { type: 'WhitespaceSplit' }],
    };
    expect(prefixCutSafety({ ...base, pre_tokenizer: splitLater }, {}, null).safe).toBe(false);
    const lowerNfkc = { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] };
    expect(prefixCutSafety({ ...base, normalizer: lowerNfkc }, {}, null)).toEqual({ safe: true });
    const custom = { type: 'Replace', pattern: { Regex: '[a-z] ' }, content: ' ' };
    expect(prefixCutSafety({ ...base, normalizer: custom }, {}, null).safe).toBe(false);
    // Unigram must know every ASCII letter and digit as a piece, else unknown pieces could fuse across the cut.
    const letters = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'].map((c) => [c, -1]);
    const unigram = { type: 'Unigram', unk_id: 0, vocab: [['<unk>', 0], ...letters] };
    expect(prefixCutSafety({ ...base, model: unigram }, {}, null)).toEqual({ safe: true });
    const noQ = { ...unigram, vocab: unigram.vocab.filter(([piece]) => piece !== 'q') };
    expect(prefixCutSafety({ ...base, model: noQ }, {}, null)).toEqual({
      safe: false,
      reason: 'Unigram vocabulary lacks the piece "q"',
    });
    // An added token is seen as the normalizer sees it: BERT puts spaces around CJK characters.
    const cjk = { ...base, added_tokens: [{ id: 1, content: '東京', normalized: true }] };
    expect(prefixCutSafety(cjk, {}, null)).toEqual({ safe: true });
    expect(prefixCutSafety(cjk, {}, (t) => t.replace(/./gu, ' $& ')).safe).toBe(false);
  });

  it('matches the library on the raw tokenizer too (no hidden state in PairEncoder)', async () => {
    const { json, config } = await tokenizerFiles('tiny-xlmr');
    const { encoder } = await setup('tiny-xlmr', 'as synthesized');
    const text = randomDocument(seededRandom(11), 500);
    const library = new Tokenizer(json, config).encode(text, { add_special_tokens: false }).ids;
    expect(encoder.tokenize(text)).toEqual(library);
  });
});
