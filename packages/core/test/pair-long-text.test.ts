import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { PairEncoder } from '../src/tokenize/pair-encoder';
import { randomDocument, seededRandom, tokenizerFiles } from './pair-fixtures';

const LONE_METASPACE = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always' };

/** Plain English of about `chars` characters, ending in a letter (no trailing whitespace token). */
function prose(chars: number): string {
  const words = ['the', 'capital', 'running', 'quickly', 'museums', 'Paris', 'France', 'information', 'of'];
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const word = words[(i * 7919) % words.length] as string;
    parts.push(i % 17 === 16 ? `${word}.` : word);
    length += word.length + 1;
  }
  return `${parts.join(' ')} end`;
}

describe('long documents', () => {
  it('a 1 MB document is encoded from its start only, with the same ids as in full', async () => {
    const { json, config } = await tokenizerFiles('tiny');
    const encoder = PairEncoder.fromJson(json, config, { maxLength: 512, maxQueryTokens: 16 });
    const text = randomDocument(seededRandom(5), 150_000);
    expect(text.length).toBeGreaterThan(1_000_000);
    const head = encoder.leadingTokens(text, 506);
    expect(head.complete).toBe(false);
    expect(head.ids).toEqual(encoder.tokenize(text).slice(0, head.ids.length));
    // [CLS] capital of france [SEP] + 506 document ids + [SEP]
    const pair = encoder.encodePair(encoder.prepareQuery('capital of France'), text);
    expect(pair.inputIds.length).toBe(512);
    expect(pair.inputIds.slice(0, 5)).toEqual([101, 1376, 241, 991, 102]);
    expect(pair.inputIds.slice(5, 511)).toEqual(head.ids.slice(0, 506));
    expect(pair.inputIds[511]).toBe(102);
  });

  it('same ids as tokenizers.js for a lone Metaspace (one Unigram word for the whole text)', async () => {
    const { json, config } = await tokenizerFiles('tiny-xlmr');
    const lone = { ...json, pre_tokenizer: LONE_METASPACE };
    const encoder = PairEncoder.fromJson(lone, config, { maxLength: 512, maxQueryTokens: 16 });
    const text = randomDocument(seededRandom(21), 3000);
    const library = new Tokenizer(lone, config).encode(text, { add_special_tokens: false }).ids;
    expect(encoder.tokenize(text)).toEqual(library);
  });

  it('a lone Metaspace does not overflow the stack on a document of 200k+ pieces', async () => {
    const { json, config } = await tokenizerFiles('tiny-xlmr');
    const lone = PairEncoder.fromJson({ ...json, pre_tokenizer: LONE_METASPACE }, config, { maxLength: 512 });
    const perWord = PairEncoder.fromJson(json, config, { maxLength: 512 });
    const text = prose(700_000);
    const ids = lone.tokenize(text);
    expect(ids.length).toBeGreaterThan(200_000);
    // The synthesized vocabulary has no piece spanning a space, so words tokenized one by one agree.
    expect(ids).toEqual(perWord.tokenize(text));
  });
});
