import { CohereClient, CohereClientV2, CohereError } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, QUERY, startServer, type TestServer } from './helpers';

// The official Cohere TypeScript client, unchanged but for its base URL: what a migrating user runs.
let open: TestServer;
let keyed: TestServer;
let expected: Awaited<ReturnType<TestServer['reranker']['rerank']>>;

beforeAll(async () => {
  open = await startServer();
  keyed = await startServer({ config: { apiKeys: ['secret-1', 'secret-2'], strictModelNames: true } });
  expected = await open.reranker.rerank(QUERY, DOCS, { useCache: false });
});
afterAll(async () => {
  await open.close();
  await keyed.close();
});

describe('cohere-ai CohereClient (v1)', () => {
  it('gets the engine ranking, scores and documents', async () => {
    const client = new CohereClient({ token: '', environment: open.url, maxRetries: 0 });
    const response = await client.rerank({
      model: 'rerank-english-v3.0',
      query: QUERY,
      documents: DOCS,
      topN: 3,
    });
    expect(response.results.map((r) => [r.index, r.relevanceScore])).toEqual(
      expected.slice(0, 3).map((r) => [r.index, r.relevanceScore]),
    );
    expect(response.results[0]!.document?.text).toBe(DOCS[expected[0]!.index]);
    expect(response.meta?.apiVersion?.version).toBe('1');
    expect(response.meta?.billedUnits?.searchUnits).toBe(1);
  });

  it('ranks object documents on rankFields', async () => {
    const client = new CohereClient({ token: '', baseUrl: open.url, maxRetries: 0 });
    const documents = DOCS.map((text, i) => ({ text, title: `t${i}` }));
    const response = await client.rerank({ query: QUERY, documents, returnDocuments: false });
    expect(response.results.map((r) => r.index)).toEqual(expected.map((r) => r.index));
    expect(response.results[0]!.document).toBeUndefined();
  });
});

describe('cohere-ai CohereClientV2', () => {
  it('gets the engine ranking and scores', async () => {
    const client = new CohereClientV2({ token: '', environment: open.url, maxRetries: 0 });
    const response = await client.rerank({ model: 'rerank-v3.5', query: QUERY, documents: DOCS });
    expect(response.results.map((r) => [r.index, r.relevanceScore])).toEqual(
      expected.map((r) => [r.index, r.relevanceScore]),
    );
    expect(response.meta?.apiVersion?.version).toBe('2');
  });

  it('sends its token as a bearer key', async () => {
    const client = new CohereClientV2({ token: 'secret-2', environment: keyed.url, maxRetries: 0 });
    const response = await client.rerank({
      model: keyed.app.service.modelName,
      query: QUERY,
      documents: DOCS,
      topN: 1,
    });
    expect(response.results.map((r) => r.index)).toEqual([expected[0]!.index]);
  });

  it('sees 401 for a wrong key and 404 for an unknown model in strict mode', async () => {
    const wrong = new CohereClientV2({ token: 'nope', environment: keyed.url, maxRetries: 0 });
    const unauthorized = await wrong
      .rerank({ model: 'x', query: QUERY, documents: DOCS })
      .catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(CohereError);
    expect((unauthorized as CohereError).statusCode).toBe(401);
    const right = new CohereClientV2({ token: 'secret-1', environment: keyed.url, maxRetries: 0 });
    const missing = await right
      .rerank({ model: 'rerank-v3.5', query: QUERY, documents: DOCS })
      .catch((e: unknown) => e);
    expect((missing as CohereError).statusCode).toBe(404);
    expect((missing as CohereError).body).toMatchObject({ code: 'MODEL_NOT_FOUND', field: 'model' });
  });
});
