import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';

// `return_tokens` counts each pair by the truncation rules; the engine's own count of the tokens it ran
// (`x-compute-tokens`, from the encoded pair) is the independent check, one uncached pair at a time.
let t: TestServer;
let maxLength: number;

beforeAll(async () => {
  t = await startServer({ engine: { cache: false } });
  maxLength = (await t.reranker.info()).maxLength;
});
afterAll(() => t?.close());

const LONG = `solar ${'photovoltaic panel inverter current '.repeat(200)}`;

describe('native POST /rerank with return_tokens', () => {
  it('gives each pair the tokens the model ran on and whether it was cut', async () => {
    const documents = [...DOCS, LONG];
    const { status, body } = await post(`${t.url}/rerank`, { query: QUERY, documents, return_tokens: true });
    expect(status).toBe(200);
    for (const result of body.results) {
      const one = await post(`${t.url}/rerank`, { query: QUERY, documents: [documents[result.index]] });
      expect(result.tokens, `document ${result.index}`).toBe(Number(one.headers.get('x-compute-tokens')));
      expect(result.truncated).toBe(result.index === DOCS.length);
    }
    expect(body.results.find((r: { index: number }) => r.index === DOCS.length).tokens).toBe(maxLength);
  });

  it('cuts a long query too, and leaves the fields out unless asked', async () => {
    const query = 'solar '.repeat(300);
    const asked = await post(`${t.url}/rerank`, { query, documents: [DOCS[0]], return_tokens: true });
    const one = await post(`${t.url}/rerank`, { query, documents: [DOCS[0]] });
    expect(asked.body.results[0]).toMatchObject({
      tokens: Number(one.headers.get('x-compute-tokens')),
      truncated: true,
    });
    expect(Object.keys(one.body.results[0]).sort()).toEqual([
      'document',
      'index',
      'relevance_score',
      'score',
    ]);
    const bad = await post(`${t.url}/rerank`, { query: QUERY, documents: DOCS, return_tokens: 'yes' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.field).toBe('return_tokens');
  });
});
