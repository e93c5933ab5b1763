import { QWEN3_RERANKER_TEMPLATE as CARD, encodeRerankPrompt } from '@reranker/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOUNDARY_PROBE_DOCUMENTS,
  type ModelFiles,
  PromptEncoder,
  QWEN3_RERANKER_TEMPLATE,
  RerankerError,
  type YesNoRerankerTemplate,
} from '../src/index';
import { localQwen3, readJson, transformersEncode } from './decoder-helpers';

let model: ModelFiles;
let tokenizerJson: Record<string, unknown>;
let tokenizerConfig: Record<string, unknown>;
let encode: (text: string) => number[];

beforeAll(async () => {
  model = await localQwen3('tiny-qwen3');
  tokenizerJson = await readJson(model, 'tokenizer.json');
  tokenizerConfig = await readJson(model, 'tokenizer_config.json');
  encode = await transformersEncode(model);
}, 120_000);

const encoder = (
  template: YesNoRerankerTemplate = QWEN3_RERANKER_TEMPLATE,
  maxLength = 8192,
  maxQueryTokens = 2048,
) =>
  new PromptEncoder(tokenizerJson, tokenizerConfig, template, { maxLength, maxQueryTokens, keySalt: 'test' });

/** The whole prompt of a pair as core lays it out: the shared prefix, then the row. */
async function corePrompt(e: PromptEncoder, query: string, document: string, instruction?: string) {
  const prepared = await e.prepareQuery(query, instruction);
  const row = e.encodePair(prepared, document);
  return { ids: [...Array.from(prepared.prefix.inputIds, Number), ...row.inputIds], prepared, row };
}

const STARTS = {
  letters: 'Beijing is the capital of China.',
  space: ' a leading space',
  spaces: '   three spaces then words',
  digits: '2024 was a leap year',
  punctuation: '!?… punctuation, then words',
  colon: ':: colons first',
  newline: '\nA new line first',
  crlf: '\r\nwindows',
  cjk: '北京是中国的首都。',
  emoji: '🙂🎉 emoji first',
  contraction: "'s a contraction",
  addedToken: '<|im_end|> an added token first',
  combining: '\u0301e combining mark first',
  empty: '',
} as const;

describe('decoder prompt encoding: shared prefix + row equals the model card', () => {
  const QUERIES = ['what is the capital of China?', 'why', 'in 2024 ', 'line\n'];

  it.each(Object.entries(STARTS))('document starting with %s', async (_, document) => {
    const e = encoder();
    for (const query of QUERIES) {
      for (const instruction of [undefined, 'Find the answer: be brief']) {
        const { ids, row } = await corePrompt(e, query, document, instruction);
        const input = { query, document, ...(instruction !== undefined && { instruction }) };
        // The card's ids (prefix, body and suffix tokenized apart by transformers.js) ...
        expect(ids).toEqual(encodeRerankPrompt(CARD, input, encode));
        // ... which equal tokenizing the whole prompt as one string.
        const whole =
          CARD.prefix +
          CARD.body
            .replace('{instruction}', instruction ?? CARD.defaultInstruction)
            .replace('{query}', query)
            .replace('{document}', document) +
          CARD.suffix;
        expect(ids).toEqual(encode(whole));
        expect(row.tokenTypeIds.every((t) => t === 0)).toBe(true);
      }
    }
  });

  it('the prefix ends the line "<Document>:" and every row starts with the document', async () => {
    const e = encoder();
    expect(e.boundary).toEqual({
      head: '<Instruct>: {instruction}\n<Query>: {query}\n<Document>:',
      lead: ' ',
      at: 'whitespace',
    });
    const { prepared, row } = await corePrompt(e, 'q', 'Beijing');
    const line = encode('\n<Document>:');
    expect(Array.from(prepared.prefix.inputIds.slice(-line.length), Number)).toEqual(line);
    expect(row.inputIds.slice(0, encode(' Beijing').length)).toEqual(encode(' Beijing'));
    expect(row.inputIds.slice(-encode(CARD.suffix).length)).toEqual(encode(CARD.suffix));
  });

  it('one prefix key per (instruction, query), different across either, salted by the model', async () => {
    const e = encoder();
    const key = async (q: string, i?: string) => (await e.prepareQuery(q, i)).prefix.key;
    expect(await key('q')).toBe(await key('q'));
    expect(await key('q')).toBe(await key('q', CARD.defaultInstruction));
    expect(new Set([await key('q'), await key('q2'), await key('q', 'other')]).size).toBe(3);
    const other = new PromptEncoder(tokenizerJson, tokenizerConfig, QWEN3_RERANKER_TEMPLATE, {
      maxLength: 8192,
      maxQueryTokens: 2048,
      keySalt: 'another model',
    });
    expect((await other.prepareQuery('q')).prefix.key).not.toBe(await key('q'));
    expect(await key('q')).toMatch(/^prefix:[0-9a-f]{64}$/);
  });
});

describe('decoder truncation', () => {
  const long = 'water carries stone along the valley floor, '.repeat(200);

  it('a document longer than the limit keeps prefix and suffix whole and loses its tail', async () => {
    const e = encoder(QWEN3_RERANKER_TEMPLATE, 300);
    const { ids, prepared, row } = await corePrompt(e, 'how do rivers shape valleys', long);
    expect(ids.length).toBe(300);
    const full = encodeRerankPrompt(CARD, { query: 'how do rivers shape valleys', document: long }, encode);
    const suffix = encode(CARD.suffix);
    // The card's truncation: the body's tail cut so prefix + body + suffix fit.
    expect(ids).toEqual([...full.slice(0, 300 - suffix.length), ...suffix]);
    expect(row.inputIds.length).toBe(prepared.room + suffix.length);
  });

  it('a query over maxQueryTokens is cut to it (tokenized on its own), the document keeps its room', async () => {
    const e = encoder(QWEN3_RERANKER_TEMPLATE, 8192, 16);
    const query = 'how do rivers shape valleys over millions of years of slow erosion by water and ice';
    const prepared = await e.prepareQuery(query);
    expect(prepared.truncated).toBe(true);
    expect(prepared.ids).toEqual(encode(` ${query}`).slice(0, 16));
    const prefix = Array.from(prepared.prefix.inputIds, Number);
    const before = encode(CARD.prefix + `<Instruct>: ${CARD.defaultInstruction}\n<Query>:`);
    expect(prefix).toEqual([...before, ...prepared.ids, ...encode('\n<Document>:')]);
    const short = await e.prepareQuery('short query');
    expect(short.truncated).toBe(false);
  });

  it('an instruction that leaves no room for the document is refused with INVALID_INPUT', async () => {
    const e = encoder(QWEN3_RERANKER_TEMPLATE, 120, 16);
    await expect(e.prepareQuery('q', 'be exhaustive '.repeat(100))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/no room for the document/),
    });
  });
});

describe('user templates', () => {
  it('a template whose document follows without a space moves the cut to the start of its line, and still equals the card', async () => {
    const glued = {
      ...QWEN3_RERANKER_TEMPLATE,
      name: 'glued',
      body: '<Instruct>: {instruction}\n<Query>: {query}\n<Document>{document}',
    };
    // Cut right before the document, '>' and a document's leading punctuation form one pre-token: ids change.
    const head = `<Instruct>: ${glued.defaultInstruction}\n<Query>: why?\n<Document>`;
    const unsafe = BOUNDARY_PROBE_DOCUMENTS.filter(
      (d) => JSON.stringify([...encode(head), ...encode(d)]) !== JSON.stringify(encode(head + d)),
    );
    expect(unsafe.length).toBeGreaterThan(0);
    const e = encoder(glued);
    expect(e.boundary.at).toBe('line');
    expect(e.boundary.lead).toBe('<Document>');
    for (const document of [...Object.values(STARTS), ...BOUNDARY_PROBE_DOCUMENTS]) {
      const { ids } = await corePrompt(e, 'why?', document);
      const whole = `${glued.prefix}${head}${document}`;
      expect(ids).toEqual([
        ...encode(glued.prefix),
        ...encode(whole.slice(glued.prefix.length)),
        ...encode(glued.suffix),
      ]);
    }
  });

  it('malformed templates and labels that are not one token are refused', () => {
    const bad = (patch: Partial<YesNoRerankerTemplate>, code: string, pattern: RegExp) => {
      const run = () => encoder({ ...QWEN3_RERANKER_TEMPLATE, ...patch });
      expect(run).toThrow(RerankerError);
      expect(run).toThrow(pattern);
      try {
        run();
      } catch (error) {
        expect((error as RerankerError).code).toBe(code);
      }
    };
    bad({ body: '{document} {query}' }, 'INVALID_CONFIG', /in that order/);
    bad({ body: '{query} {document} end' }, 'INVALID_CONFIG', /must end with \{document\}/);
    bad({ labels: { yes: 'yes', no: 'yes' } }, 'INVALID_CONFIG', /two different tokens/);
    bad({ labels: { yes: 'absolutely-not-a-token', no: 'no' } }, 'MODEL_LOAD_FAILED', /not one token/);
  });
});
