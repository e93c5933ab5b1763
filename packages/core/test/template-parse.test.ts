import { describe, expect, it } from 'vitest';
import { isRerankerError } from '../src/errors';
import { PairEncoder } from '../src/tokenize/pair-encoder';
import { assemblePair, parsePairTemplate } from '../src/tokenize/template';
import { tokenizerFiles } from './pair-fixtures';

const special = (id: string, type_id: number) => ({ SpecialToken: { id, type_id } });
const sequence = (id: 'A' | 'B', type_id: number) => ({ Sequence: { id, type_id } });

/** Layout of A = [11, 12] and B = [21, 22, 23] under a post-processor, with its token types. */
function layout(postProcessor: unknown, zeroTypes = false) {
  const template = parsePairTemplate(postProcessor, (t) => ({ '<x>': 9 })[t]);
  const pair = assemblePair(template, [11, 12], 2, [21, 22, 23], 3, zeroTypes);
  return { specials: template.specialCount, ...pair };
}

function loadError(postProcessor: unknown): Error {
  try {
    parsePairTemplate(postProcessor);
  } catch (error) {
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    return error as Error;
  }
  throw new Error('expected MODEL_LOAD_FAILED');
}

describe('parsePairTemplate', () => {
  it('BertProcessing: [CLS] A [SEP] B [SEP], types 0 then 1', () => {
    expect(layout({ type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] })).toEqual({
      specials: 3,
      inputIds: [101, 11, 12, 102, 21, 22, 23, 102],
      tokenTypeIds: [0, 0, 0, 0, 1, 1, 1, 1],
    });
  });

  it('RobertaProcessing: <s> A </s></s> B </s>, every type 0 (as the Rust processor)', () => {
    const roberta = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true };
    expect(layout(roberta)).toEqual({
      specials: 4,
      inputIds: [0, 11, 12, 2, 2, 21, 22, 23, 2],
      tokenTypeIds: [0, 0, 0, 0, 0, 0, 0, 0, 0],
    });
  });

  it('TemplateProcessing: reads ids from special_tokens, several ids per token allowed', () => {
    const template = {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), sequence('A', 0)],
      pair: [
        special('[CLS]', 0),
        sequence('A', 0),
        special('[SEP2]', 0),
        sequence('B', 1),
        special('<x>', 1),
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [5], tokens: ['[CLS]'] },
        '[SEP2]': { id: '[SEP2]', ids: [6, 7], tokens: ['[S]', '[EP]'] },
      },
    };
    // <x> has no special_tokens entry: its id comes from the lookup (9).
    expect(layout(template)).toEqual({
      specials: 4,
      inputIds: [5, 11, 12, 6, 7, 21, 22, 23, 9],
      tokenTypeIds: [0, 0, 0, 0, 0, 1, 1, 1, 1],
    });
    expect(layout(template, true).tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('Sequence: finds the one processor that adds tokens (ByteLevel + TemplateProcessing)', () => {
    const sequenceProcessor = {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
        {
          type: 'TemplateProcessing',
          single: [special('<s>', 0), sequence('A', 0)],
          pair: [special('<s>', 0), sequence('A', 0), special('<s>', 1), sequence('B', 1)],
          special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
        },
      ],
    };
    expect(layout(sequenceProcessor)).toEqual({
      specials: 2,
      inputIds: [1, 11, 12, 1, 21, 22, 23],
      tokenTypeIds: [0, 0, 0, 1, 1, 1, 1],
    });
  });

  it('assembles only the kept prefix of each sequence', () => {
    const template = parsePairTemplate({ type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] });
    expect(assemblePair(template, [11, 12, 13], 1, [21, 22], 0, false)).toEqual({
      inputIds: [101, 11, 102, 102],
      tokenTypeIds: [0, 0, 0, 1],
    });
  });

  it('names an unsupported post-processor type', () => {
    expect(loadError({ type: 'FancyProcessing' }).message).toContain('"FancyProcessing"');
    expect(loadError({ type: 'Sequence', processors: [{ type: 'Odd' }] }).message).toContain('"Odd"');
    expect(loadError({ type: 'ByteLevel' }).message).toContain('ByteLevel');
    expect(loadError(null).message).toContain('post_processor');
  });

  it('rejects templates that cannot lay out a pair', () => {
    const bert = { type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] };
    expect(loadError({ type: 'Sequence', processors: [bert, bert] }).message).toContain('2 processors');
    expect(loadError({ type: 'TemplateProcessing', single: [] }).message).toContain('"pair"');
    const noB = { type: 'TemplateProcessing', pair: [sequence('A', 0)], special_tokens: {} };
    expect(loadError(noB).message).toContain('exactly once');
    const unknownToken = {
      type: 'TemplateProcessing',
      pair: [special('[Q]', 0), sequence('A', 0), sequence('B', 1)],
    };
    expect(loadError(unknownToken).message).toContain('"[Q]"');
    expect(loadError({ type: 'BertProcessing', sep: '[SEP]', cls: ['[CLS]', 101] }).message).toContain(
      '"sep"',
    );
  });
});

describe('PairEncoder with each post-processor form', () => {
  it('BERT tokenizer.json with BertProcessing gives the same pair as its TemplateProcessing', async () => {
    const { json, config } = await tokenizerFiles('tiny');
    const bertJson = {
      ...json,
      post_processor: { type: 'BertProcessing', sep: ['[SEP]', 102], cls: ['[CLS]', 101] },
    };
    const encoder = PairEncoder.fromJson(bertJson, config, { maxLength: 16, maxQueryTokens: 4 });
    const pair = encoder.encodePair(encoder.prepareQuery('capital of France'), 'paris is running');
    // [CLS] capital of france [SEP] paris is running [SEP]
    expect(pair).toEqual({
      inputIds: [101, 1376, 241, 991, 102, 1895, 246, 1316, 102],
      tokenTypeIds: [0, 0, 0, 0, 0, 1, 1, 1, 1],
    });
  });

  it('XLM-R tokenizer.json with RobertaProcessing inside a Sequence', async () => {
    const { json, config } = await tokenizerFiles('tiny-xlmr');
    const roberta = { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] };
    const xlmrJson = {
      ...json,
      post_processor: { type: 'Sequence', processors: [{ type: 'ByteLevel' }, roberta] },
    };
    const encoder = PairEncoder.fromJson(xlmrJson, config, {
      maxLength: 16,
      maxQueryTokens: 4,
      typeVocabSize: 1,
    });
    expect(encoder.pairSpecialTokens).toBe(4);
    // <s> ▁capital ▁of ▁france </s> </s> ▁paris ▁is ▁running </s>
    expect(
      encoder.encodePair(encoder.prepareQuery('capital of france'), 'paris is running').inputIds,
    ).toEqual([0, 1667, 7, 1282, 2, 2, 2186, 19, 1607, 2]);
  });

  it('fails with MODEL_LOAD_FAILED naming the type before the tokenizer is built', async () => {
    const { json, config } = await tokenizerFiles('tiny');
    try {
      PairEncoder.fromJson({ ...json, post_processor: { type: 'T5Processing' } }, config, { maxLength: 128 });
      expect.unreachable();
    } catch (error) {
      expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
      expect((error as Error).message).toContain('"T5Processing"');
    }
  });

  it('rejects a template whose token types exceed type_vocab_size, unless that is 1 or 0', async () => {
    const { json, config } = await tokenizerFiles('tiny');
    const typeTwo = {
      ...json,
      post_processor: {
        type: 'TemplateProcessing',
        pair: [
          special('[CLS]', 0),
          sequence('A', 0),
          special('[SEP]', 0),
          sequence('B', 2),
          special('[SEP]', 2),
        ],
        special_tokens: {},
      },
    };
    expect(() => PairEncoder.fromJson(typeTwo, config, { maxLength: 128, typeVocabSize: 2 })).toThrow(
      /token type 2 but type_vocab_size is 2/,
    );
    // type_vocab_size 1 means the model has no token types: all become 0.
    const flat = PairEncoder.fromJson(typeTwo, config, { maxLength: 128, typeVocabSize: 1 });
    expect(flat.encodePair(flat.prepareQuery('capital'), 'paris').tokenTypeIds).toEqual([0, 0, 0, 0, 0]);
    // type_vocab_size 0 (DeBERTa-v3) means no token-type table at all: the same.
    const none = PairEncoder.fromJson(typeTwo, config, { maxLength: 128, typeVocabSize: 0 });
    expect(none.encodePair(none.prepareQuery('capital'), 'paris').tokenTypeIds).toEqual([0, 0, 0, 0, 0]);
  });
});
