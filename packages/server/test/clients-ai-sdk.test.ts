import { createCohere } from '@ai-sdk/cohere';
import { createTogetherAI } from '@ai-sdk/togetherai';
import { rerank } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';
import { expectedOrder, maxGap, referenceRelevance } from './reference-scores';

// The AI SDK's rerank() with its Cohere provider (posts to <baseURL>/rerank, v2-shaped) and its
// Together provider (posts to <baseURL>/rerank and requires usage.prompt_tokens/completion_tokens).
let t: TestServer;

beforeAll(async () => {
  t = await startServer();
});
afterAll(() => t.close());

/** A query of its own per test: the pair cache would otherwise answer and count 0 tokens. */
const queryFor = (name: string) => `${QUERY} (${name})`;

async function check(
  query: string,
  result: Awaited<ReturnType<typeof rerank<string>>>,
  topN: number,
): Promise<void> {
  const expected = await referenceRelevance(query, DOCS);
  expect(result.ranking.map((r) => r.originalIndex)).toEqual(expectedOrder(expected).slice(0, topN));
  const scores = result.ranking.map((r) => ({ index: r.originalIndex, relevanceScore: r.score }));
  expect(maxGap(scores, expected)).toBeLessThan(1e-6);
  expect(result.rerankedDocuments).toEqual(result.ranking.map((r) => DOCS[r.originalIndex]));
}

describe('ai rerank() with @ai-sdk/cohere', () => {
  it('baseURL <server>/v2: ranking and scores of the reference', async () => {
    const cohere = createCohere({ baseURL: `${t.url}/v2`, apiKey: 'unused' });
    const query = queryFor('cohere');
    const result = await rerank({
      model: cohere.reranking('rerank-v3.5'),
      query,
      documents: DOCS,
      topN: 3,
      maxRetries: 0,
    });
    await check(query, result, 3);
  });
});

describe('ai rerank() with @ai-sdk/togetherai', () => {
  it.each([
    ['<server>/v1', '/v1'],
    ['<server> (plain /rerank, Cohere-shaped by its model field)', ''],
  ])('baseURL %s: ranking, scores and Together usage', async (_name, base) => {
    const together = createTogetherAI({ baseURL: `${t.url}${base}`, apiKey: 'unused' });
    const query = queryFor(`together${base}`);
    const result = await rerank({
      model: together.reranking('Salesforce/Llama-Rank-v1'),
      query,
      documents: DOCS,
      topN: 2,
      maxRetries: 0,
    });
    await check(query, result, 2);
    const usage = (result.response.body as { usage: Record<string, number> }).usage;
    expect(usage.prompt_tokens).toBeGreaterThan(0);
    expect(usage).toEqual({
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: 0,
      total_tokens: usage.prompt_tokens,
    });
    expect(result.response.headers?.['x-compute-tokens']).toBe(String(usage.prompt_tokens));
  });
});

describe('usage on every Cohere-shaped answer', () => {
  it.each(['/v1/rerank', '/v2/rerank'])(
    '%s: prompt_tokens are the tokens computed, 0 when cached',
    async (path) => {
      const query = queryFor(`usage ${path}`);
      const first = await post(`${t.url}${path}`, { query, documents: DOCS });
      const tokens = Number(first.headers.get('x-compute-tokens'));
      expect(tokens).toBeGreaterThan(0);
      expect(first.body.usage).toEqual({ prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens });
      const cached = await post(`${t.url}${path}`, { query, documents: DOCS });
      expect(cached.body.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    },
  );
});
