import { describe, expect, it } from 'vitest';
import { isRerankerError } from '../src/errors';
import { PairEncoder } from '../src/tokenize/pair-encoder';
import { tinyEncoder, tokenizerFiles } from './pair-fixtures';

// Ids of the synthesized vocabularies, looked up in their tokenizer.json while writing these tests.
// BERT (tiny): [CLS] 101, [SEP] 102, what 293, is 246, the 240, capital 1376, of 241, france 991, ? 160,
//   paris 1895, running 1316, quick 1147, ##ly 223, . 153, and 242, largest 2025, city 370.
// XLM-R (tiny-xlmr): <s> 0, </s> 2, ▁What 116, ▁is 19, ▁the 5, ▁capital 1667, ▁of 7, ▁F 430, r 2543,
//   a 2526, n 2539, c 2528, e 2530, ? 2668, ▁paris 2186, ▁running 1607, ▁quick 1438, ly 2509, . 2661.
const QUERY = 'What is the capital of France?';
const DOC = 'paris is running quickly.';
const LONG_DOC = 'Paris is the capital and largest city of France, with many museums.';

describe('PairEncoder: pairs in the model template', () => {
  it('BERT: [CLS] q [SEP] d [SEP] with token types 0 then 1', async () => {
    const encoder = await tinyEncoder('tiny', { maxLength: 32, maxQueryTokens: 16 });
    expect(encoder.pairSpecialTokens).toBe(3);
    expect(encoder.padTokenId).toBe(0);
    const pair = encoder.encodePair(encoder.prepareQuery(QUERY), DOC);
    // [CLS] what is the capital of france ? [SEP] paris is running quick ##ly . [SEP]
    expect(pair.inputIds).toEqual([
      101, 293, 246, 240, 1376, 241, 991, 160, 102, 1895, 246, 1316, 1147, 223, 153, 102,
    ]);
    expect(pair.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('XLM-R: <s> q </s></s> d </s>, every token type 0', async () => {
    const encoder = await tinyEncoder('tiny-xlmr', { maxLength: 32, maxQueryTokens: 16 });
    expect(encoder.pairSpecialTokens).toBe(4);
    expect(encoder.padTokenId).toBe(1);
    const pair = encoder.encodePair(encoder.prepareQuery(QUERY), DOC);
    // <s> ▁What ▁is ▁the ▁capital ▁of ▁F r a n c e ? </s> </s> ▁paris ▁is ▁running ▁quick ly . </s>
    expect(pair.inputIds).toEqual([
      0, 116, 19, 5, 1667, 7, 430, 2543, 2526, 2539, 2528, 2530, 2668, 2, 2, 2186, 19, 1607, 1438, 2509, 2661,
      2,
    ]);
    expect(pair.tokenTypeIds).toEqual(new Array(22).fill(0));
  });
});

describe('PairEncoder: only_second truncation', () => {
  it('cuts a query longer than maxQueryTokens and says so', async () => {
    const encoder = await tinyEncoder('tiny', { maxLength: 16, maxQueryTokens: 4 });
    const query = encoder.prepareQuery(QUERY);
    expect(query).toEqual({ ids: [293, 246, 240, 1376], truncated: true }); // what is the capital
    expect(encoder.prepareQuery('capital of France')).toEqual({ ids: [1376, 241, 991], truncated: false });
    // A query of exactly maxQueryTokens is not reported as cut.
    expect(encoder.prepareQuery('what is the capital').truncated).toBe(false);
    // [CLS] what is the capital [SEP] paris is running quick ##ly . [SEP]
    expect(encoder.encodePair(query, DOC).inputIds).toEqual([
      101, 293, 246, 240, 1376, 102, 1895, 246, 1316, 1147, 223, 153, 102,
    ]);
  });

  it('keeps a document of exactly the remaining budget whole (length == maxLength)', async () => {
    // 3 specials + query "capital of france" (3) + document (6) = 12.
    const encoder = await tinyEncoder('tiny', { maxLength: 12, maxQueryTokens: 4 });
    const pair = encoder.encodePair(encoder.prepareQuery('capital of France'), DOC);
    // [CLS] capital of france [SEP] paris is running quick ##ly . [SEP]
    expect(pair.inputIds).toEqual([101, 1376, 241, 991, 102, 1895, 246, 1316, 1147, 223, 153, 102]);
    expect(pair.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    // One more document token ("again") is the one cut.
    expect(encoder.encodePair(encoder.prepareQuery('capital of France'), `${DOC} again`).inputIds).toEqual([
      101, 1376, 241, 991, 102, 1895, 246, 1316, 1147, 223, 153, 102,
    ]);
  });

  it('cuts a document one token over the budget by one, keeping the final [SEP]', async () => {
    const encoder = await tinyEncoder('tiny', { maxLength: 11, maxQueryTokens: 4 });
    const pair = encoder.encodePair(encoder.prepareQuery('capital of France'), DOC);
    // [CLS] capital of france [SEP] paris is running quick ##ly [SEP]
    expect(pair.inputIds).toEqual([101, 1376, 241, 991, 102, 1895, 246, 1316, 1147, 223, 102]);
    expect(pair.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  });

  it('XLM-R: a cut document still ends in </s>', async () => {
    const encoder = await tinyEncoder('tiny-xlmr', { maxLength: 10, maxQueryTokens: 3 });
    const pair = encoder.encodePair(encoder.prepareQuery('capital of france'), DOC);
    // <s> ▁capital ▁of ▁france </s> </s> ▁paris ▁is ▁running </s>
    expect(pair.inputIds).toEqual([0, 1667, 7, 1282, 2, 2, 2186, 19, 1607, 2]);
  });
});

describe('PairEncoder: longest_first truncation (Hugging Face rule)', () => {
  const encode = async (maxLength: number, query: string, doc: string) => {
    const encoder = await tinyEncoder('tiny', { maxLength, truncation: 'longest_first', maxQueryTokens: 4 });
    return encoder.encodePair(encoder.prepareQuery(query), doc).inputIds;
  };

  it('both long: each gets half the budget, the document the odd token', async () => {
    // Query 7 tokens, document 15. Budget 10 -> 5 + 5.
    // [CLS] what is the capital of [SEP] paris is the capital and [SEP]
    expect(await encode(13, QUERY, LONG_DOC)).toEqual([
      101, 293, 246, 240, 1376, 241, 102, 1895, 246, 240, 1376, 242, 102,
    ]);
    // Budget 11 -> 5 + 6: ... paris is the capital and largest [SEP]
    expect(await encode(14, QUERY, LONG_DOC)).toEqual([
      101, 293, 246, 240, 1376, 241, 102, 1895, 246, 240, 1376, 242, 2025, 102,
    ]);
  });

  it('one long: the short query stays whole (maxQueryTokens does not apply) and the document gets the rest', async () => {
    // Query 3 tokens, document 15, budget 10 -> 3 + 7.
    // [CLS] capital of france [SEP] paris is the capital and largest city [SEP]
    expect(await encode(13, 'capital of France', LONG_DOC)).toEqual([
      101, 1376, 241, 991, 102, 1895, 246, 240, 1376, 242, 2025, 370, 102,
    ]);
    // Query 7 tokens (> maxQueryTokens 4) and a short document: nothing is cut.
    // [CLS] what is the capital of france ? [SEP] paris is running [SEP]
    expect(await encode(64, QUERY, 'paris is running')).toEqual([
      101, 293, 246, 240, 1376, 241, 991, 160, 102, 1895, 246, 1316, 102,
    ]);
  });

  it('a query longer than the document is the one cut', async () => {
    // Query 7, document 3, budget 6 -> query 3, document 3.
    // [CLS] what is the [SEP] paris is running [SEP]
    expect(await encode(9, QUERY, 'paris is running')).toEqual([
      101, 293, 246, 240, 102, 1895, 246, 1316, 102,
    ]);
  });
});

describe('PairEncoder: invalid options and model files', () => {
  async function errorOf(build: () => unknown) {
    try {
      build();
    } catch (error) {
      return error;
    }
    throw new Error('expected an error');
  }

  it.each([
    [{ maxLength: 67 }, 'maxLength', '68'],
    [{ maxLength: 0 }, 'maxLength', '68'],
    [{ maxLength: 100.5 }, 'maxLength', '68'],
    [{ maxLength: Number.NaN }, 'maxLength', '68'],
    [{ maxLength: 12, maxQueryTokens: 9 }, 'maxLength', '13'],
    [{ maxLength: 4, truncation: 'longest_first' }, 'maxLength', '5'],
    [{ maxLength: 128, maxQueryTokens: 0 }, 'maxQueryTokens', '1'],
    [{ maxLength: 128, maxQueryTokens: 2.5 }, 'maxQueryTokens', '1'],
    [{ maxLength: 128, typeVocabSize: -1 }, 'typeVocabSize', '0'],
    [{ maxLength: 128, typeVocabSize: 1.5 }, 'typeVocabSize', '0'],
    [{ maxLength: 128, truncation: 'longest' }, 'truncation', "'only_second'"],
  ])('%o -> INVALID_CONFIG naming %s and its minimum', async (options, option, minimum) => {
    const { json, config } = await tokenizerFiles('tiny');
    const error = await errorOf(() => PairEncoder.fromJson(json, config, options as never));
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
    expect((error as Error).message).toContain(option);
    expect((error as Error).message).toContain(minimum);
  });

  it('accepts the smallest valid maxLength', async () => {
    const { json, config } = await tokenizerFiles('tiny');
    expect(PairEncoder.fromJson(json, config, { maxLength: 68 }).maxLength).toBe(68);
    const lf = PairEncoder.fromJson(json, config, { maxLength: 5, truncation: 'longest_first' });
    // [CLS] what [SEP] paris [SEP]
    expect(lf.encodePair(lf.prepareQuery(QUERY), DOC).inputIds).toEqual([101, 293, 102, 1895, 102]);
  });

  it('rejects a tokenizer_config.json without a known pad token', async () => {
    const { json, config } = await tokenizerFiles('tiny');
    for (const pad of [undefined, '[NOPE]']) {
      const error = await errorOf(() =>
        PairEncoder.fromJson(json, { ...config, pad_token: pad }, { maxLength: 128 }),
      );
      expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
      expect((error as Error).message).toContain('pad_token');
    }
    // The AddedToken form of the setting is read too.
    const padObject = { ...config, pad_token: { content: '[PAD]', special: true } };
    expect(PairEncoder.fromJson(json, padObject, { maxLength: 128 }).padTokenId).toBe(0);
  });

  it('rejects a non-string document as INVALID_INPUT', async () => {
    const encoder = await tinyEncoder('tiny', { maxLength: 32, maxQueryTokens: 16 });
    const error = await errorOf(() => encoder.encodePair(encoder.prepareQuery(QUERY), 42 as never));
    expect(isRerankerError(error, 'INVALID_INPUT')).toBe(true);
  });
});
