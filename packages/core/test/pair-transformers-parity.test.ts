import { basename, dirname } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { PairEncoder } from '../src/tokenize/pair-encoder';
import { type TinyPreset, tokenizerFiles } from './pair-fixtures';

// Offline: transformers.js reads the synthesized folder and never asks the hub.
env.allowRemoteModels = false;
env.allowLocalModels = true;

const PAIRS: [string, string][] = [
  ['What is the capital of France?', 'Paris is the capital and largest city of France.'],
  [
    'how do vaccines work',
    'Vaccines train the immune system to recognize a pathogen without causing disease.',
  ],
  ['Café in Zürich', 'The café near the Zürich lake serves crème brûlée and naïve piñatas.'],
  ["Don't stop!", "It's 3.14159 — or about 22/7 (roughly), isn't it?"],
  ['UPPERCASE QUERY', 'MiXeD CaSe DoCuMeNt With ACRONYMS like NASA, UNESCO and HTTP.'],
  ['東京 weather', 'Tokyo (東京) is Japan’s capital; 今日は晴れ. Ελληνικά ΟΔΟΣ and русский текст.'],
  ['emoji 🙂 query', 'Documents can hold emoji 🚀🔥 and symbols ©®™ ± ≤ ≥ € £ ¥.'],
  ['  spaces\tand\nnewlines  ', 'Line one.\n\nLine two\twith tab,   extra   spaces and trailing space '],
  ['special [MASK] <mask> tokens', 'Text with [CLS] and [SEP] and </s> <s> inside, plus [UNK].'],
  ['a', 'b'],
  [
    'supercalifragilisticexpialidocious',
    `${'pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(3)} antidisestablishmentarianism`,
  ],
  ['numbers 2024-05-17', 'Call +1 (555) 010-9999 at 10:30am; order #A1B2C3, 1,000,000 units, 99.9% uptime.'],
];

async function reference(preset: TinyPreset, dir: string, query: string, document: string) {
  env.localModelPath = `${dirname(dir)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(dir));
  const encoded = tokenizer(query, { text_pair: document });
  const ids = Array.from(encoded.input_ids.data as BigInt64Array, Number);
  const types = encoded.token_type_ids
    ? Array.from(encoded.token_type_ids.data as BigInt64Array, Number)
    : undefined;
  return { ids, types: types ?? (preset === 'tiny-xlmr' ? ids.map(() => 0) : undefined) };
}

describe.each(['tiny', 'tiny-xlmr'] as const)(
  '%s: untruncated pairs match transformers.js text_pair',
  (preset) => {
    it.each(PAIRS)('%j + %j', async (query, document) => {
      const { dir, json, config } = await tokenizerFiles(preset);
      const encoder = PairEncoder.fromJson(json, config, {
        maxLength: 512,
        maxQueryTokens: 128,
        typeVocabSize: preset === 'tiny' ? 2 : 1,
      });
      const ours = encoder.encodePair(encoder.prepareQuery(query), document);
      const theirs = await reference(preset, dir, query, document);
      expect(ours.inputIds.length).toBeLessThan(512); // really untruncated
      expect(ours.inputIds).toEqual(theirs.ids);
      expect(ours.tokenTypeIds).toEqual(theirs.types);
    });
  },
);
