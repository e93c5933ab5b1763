import type { YesNoScore } from '@reranker/testkit';
import { QWEN3_RERANKER_TEMPLATE } from '@reranker/testkit';
import { CohereClientV2 } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openapiDocument } from '../src/openapi-document';
import { get, type Json, post, type TestServer } from './helpers';
import {
  expectOracle,
  INSTRUCTION,
  LLM_DOCS,
  LLM_QUERY,
  largestGap,
  nativeResults,
  oracle,
  startLlmServer,
} from './llm-helpers';
import { compileFromDoc, type Doc, strictAjv } from './openapi/spec';

// Every rerank route serves the tiny Qwen3-Reranker like a cross-encoder, with and without the
// `instruction` extension; scores are the oracle's (see llm-helpers.ts).

let server: TestServer;
let byDefault: YesNoScore[];
let instructed: YesNoScore[];

beforeAll(async () => {
  server = await startLlmServer({ engine: { cacheEnabled: false } });
  byDefault = await oracle();
  instructed = await oracle({ instruction: INSTRUCTION });
}, 180_000);
afterAll(async () => {
  await server?.close();
});

it('the instruction changes the oracle scores (so a route ignoring it would fail)', () => {
  expect(largestGap(byDefault, instructed)).toBeGreaterThan(1e-3);
});

const withInstruction = [
  ['without instruction', {}, () => byDefault],
  ['with instruction', { instruction: INSTRUCTION }, () => instructed],
  ['with instruction: null (absent)', { instruction: null }, () => byDefault],
] as const;

describe.each(withInstruction)('%s', (_name, extra, expected) => {
  it('native POST /rerank: log-odds score and P(yes)', async () => {
    const res = await post(`${server.url}/rerank`, { query: LLM_QUERY, documents: LLM_DOCS, ...extra });
    expect(res.status).toBe(200);
    expectOracle(nativeResults(res.body), expected());
    expect(res.body.results[0].document).toBe(LLM_DOCS[res.body.results[0].index]);
  });

  it('native POST /rerank with object documents and return_tokens', async () => {
    const documents = LLM_DOCS.map((text, i) => ({ text, id: i }));
    const res = await post(`${server.url}/rerank`, {
      query: LLM_QUERY,
      documents,
      return_tokens: true,
      ...extra,
    });
    expect(res.status).toBe(200);
    expectOracle(nativeResults(res.body), expected());
    for (const r of res.body.results) expect(r.truncated).toBe(false);
  });

  it('TEI POST /rerank: relevance, and the log-odds with raw_scores', async () => {
    const res = await post(`${server.url}/rerank`, { query: LLM_QUERY, texts: LLM_DOCS, ...extra });
    expect(res.status).toBe(200);
    expectOracle(
      res.body.map((r: Json) => ({ index: r.index, relevance: r.score })),
      expected(),
    );
    const raw = await post(`${server.url}/rerank`, {
      query: LLM_QUERY,
      texts: LLM_DOCS,
      raw_scores: true,
      ...extra,
    });
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    expectOracle(
      raw.body.map((r: Json) => ({ index: r.index, relevance: sigmoid(r.score), score: r.score })),
      expected(),
    );
  });

  it.each([
    ['POST /rerank, Cohere-shaped', '/rerank'],
    ['Cohere v1 / Jina POST /v1/rerank', '/v1/rerank'],
    ['Cohere v2 POST /v2/rerank', '/v2/rerank'],
  ])('%s', async (_route, path) => {
    const res = await post(`${server.url}${path}`, {
      model: 'Qwen/Qwen3-Reranker-0.6B',
      query: LLM_QUERY,
      documents: LLM_DOCS,
      top_n: LLM_DOCS.length,
      ...extra,
    });
    expect(res.status).toBe(200);
    expectOracle(
      res.body.results.map((r: Json) => ({ index: r.index, relevance: r.relevance_score })),
      expected(),
    );
  });
});

describe('cohere-ai CohereClientV2 sends the extension field', () => {
  // The client's serializer passes unknown request keys through (`unrecognizedObjectKeys:
  // "passthrough"`), so `instruction` reaches the server; its TypeScript type does not know the field,
  // hence the widened request object.
  it.each([
    ['with instruction', INSTRUCTION, () => instructed],
    ['without', undefined, () => byDefault],
  ])('%s', async (_name, instruction, expected) => {
    const client = new CohereClientV2({ token: '', environment: server.url, maxRetries: 0 });
    const request = {
      model: 'rerank-v3.5',
      query: LLM_QUERY,
      documents: LLM_DOCS,
      ...(instruction !== undefined && { instruction }),
    };
    const response = await client.rerank(request);
    expectOracle(
      response.results.map((r) => ({ index: r.index, relevance: r.relevanceScore })),
      expected(),
    );
  });
});

describe('bad instructions', () => {
  const tooLong = 'é'.repeat(2049); // 2049 characters, 4098 UTF-8 bytes: over the 4096-byte limit
  it.each([
    ['empty', ''],
    ['blank', '  \n '],
    ['over 4096 bytes', tooLong],
    ['not a string', 42],
  ])('%s: refused in each flavour, naming the field', async (_name, instruction) => {
    const native = await post(`${server.url}/rerank`, { query: LLM_QUERY, documents: LLM_DOCS, instruction });
    expect(native.status).toBe(422);
    expect(native.body.error).toMatchObject({ code: 'INVALID_INPUT', field: 'instruction' });
    const tei = await post(`${server.url}/rerank`, { query: LLM_QUERY, texts: LLM_DOCS, instruction });
    expect(tei.status).toBe(422);
    expect(tei.body).toMatchObject({
      error_type: 'Validation',
      error: expect.stringContaining('instruction'),
    });
    for (const path of ['/v1/rerank', '/v2/rerank']) {
      const cohere = await post(`${server.url}${path}`, {
        query: LLM_QUERY,
        documents: LLM_DOCS,
        instruction,
      });
      expect(cohere.status).toBe(400);
      expect(cohere.body).toMatchObject({ code: 'INVALID_INPUT', field: 'instruction' });
    }
  });

  it("4096 bytes pass the field's limit, then the model's window decides", async () => {
    const res = await post(`${server.url}/v1/rerank`, {
      query: LLM_QUERY,
      documents: LLM_DOCS.slice(0, 1),
      instruction: 'é'.repeat(2048),
    });
    expect(res.status).toBe(200);
  });
});

it('/info shows the kind, the whole template and the default instruction, as the OpenAPI says', async () => {
  const res = await get(`${server.url}/info`);
  expect(res.status).toBe(200);
  const doc: Doc = JSON.parse(JSON.stringify(openapiDocument()));
  const validate = compileFromDoc(strictAjv(), doc, { $ref: '#/components/schemas/Info' });
  expect(validate(res.body), JSON.stringify(validate.errors)).toBe(true);
  // The testkit's copy of the model card's template, written apart from core's.
  const { prefix, body, suffix, labels, defaultInstruction } = QWEN3_RERANKER_TEMPLATE;
  expect(res.body).toMatchObject({
    model_kind: 'decoder-yes-no',
    template: { name: 'qwen3-reranker', prefix, body, suffix, labels, defaultInstruction },
    default_instruction: defaultInstruction,
  });
});
