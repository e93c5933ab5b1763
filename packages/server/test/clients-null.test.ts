import { CohereRerank } from '@langchain/cohere';
import { Document } from '@langchain/core/documents';
import { CohereClient, CohereClientV2 } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';
import { expectedOrder, maxGap, referenceRelevance } from './reference-scores';

// cohere-ai sends every optional field left undefined as null, and LangChain's CohereRerank leaves
// maxChunksPerDoc undefined: a null optional field must mean "absent" on every route and flavour.
let t: TestServer;
let expected: number[];
let order: number[];

beforeAll(async () => {
  t = await startServer();
  expected = await referenceRelevance(QUERY, DOCS);
  order = expectedOrder(expected);
});
afterAll(() => t.close());

const camel = (results: { index: number; relevanceScore: number }[]) => results;
const snake = (results: { index: number; relevance_score: number }[]) =>
  results.map((r) => ({ index: r.index, relevanceScore: r.relevance_score }));

describe('@langchain/cohere CohereRerank over cohere-ai', () => {
  // @langchain/cohere 1.0.5 types `client` as its own cohere-ai 7 client; 8.x has the same rerank().
  const client = () =>
    new CohereClient({ token: 'unused', environment: t.url, maxRetries: 0 }) as unknown as NonNullable<
      ConstructorParameters<typeof CohereRerank>[0]
    >['client'];
  const reranker = () =>
    new CohereRerank({
      client: client(),
      model: 'rerank-english-v3.0',
      topN: 3,
    });

  it('compressDocuments keeps the best three, scored as the reference', async () => {
    const documents = DOCS.map((pageContent, id) => new Document({ pageContent, metadata: { id } }));
    const kept = await reranker().compressDocuments(documents, QUERY);
    expect(kept.map((d) => d.metadata.id)).toEqual(order.slice(0, 3));
    const scores = kept.map((d) => ({ index: d.metadata.id, relevanceScore: d.metadata.relevanceScore }));
    expect(maxGap(scores, expected)).toBeLessThan(1e-6);
  });

  it('rerank without maxChunksPerDoc', async () => {
    const results = await reranker().rerank(DOCS, QUERY);
    expect(results.map((r) => r.index)).toEqual(order.slice(0, 3));
    expect(maxGap(camel(results), expected)).toBeLessThan(1e-6);
  });
});

describe('cohere-ai with every optional field explicitly undefined', () => {
  it('CohereClient (v1)', async () => {
    const client = new CohereClient({ token: 'unused', environment: t.url, maxRetries: 0 });
    const response = await client.rerank({
      query: QUERY,
      documents: DOCS,
      model: undefined,
      topN: undefined,
      rankFields: undefined,
      returnDocuments: undefined,
      maxChunksPerDoc: undefined,
    });
    expect(response.results.map((r) => r.index)).toEqual(order);
    expect(maxGap(camel(response.results), expected)).toBeLessThan(1e-6);
    // v1's default: documents are returned.
    expect(response.results[0]!.document?.text).toBe(DOCS[order[0]!]);
  });

  it('CohereClientV2', async () => {
    const client = new CohereClientV2({ token: 'unused', environment: t.url, maxRetries: 0 });
    const response = await client.rerank({
      model: 'rerank-v3.5',
      query: QUERY,
      documents: DOCS,
      topN: undefined,
      maxTokensPerDoc: undefined,
      priority: undefined,
    });
    expect(response.results.map((r) => r.index)).toEqual(order);
    expect(maxGap(camel(response.results), expected)).toBeLessThan(1e-6);
  });
});

describe('null optional fields over HTTP, every flavour', () => {
  const cohereNulls = {
    model: null,
    top_n: null,
    return_documents: null,
    rank_fields: null,
    max_chunks_per_doc: null,
    max_tokens_per_doc: null,
    priority: null,
  };

  it.each(['/v1/rerank', '/v2/rerank', '/rerank'])('Cohere-shaped on %s', async (path) => {
    const res = await post(`${t.url}${path}`, { query: QUERY, documents: DOCS, ...cohereNulls });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { index: number }) => r.index)).toEqual(order);
    expect(maxGap(snake(res.body.results), expected)).toBeLessThan(1e-6);
    // Absent return_documents: v1 (and plain /rerank, Cohere v1-shaped) returns them, v2 does not.
    expect('document' in res.body.results[0]).toBe(path !== '/v2/rerank');
  });

  it('Jina-shaped (model, top_n, return_documents as null)', async () => {
    const res = await post(`${t.url}/v1/rerank`, {
      model: null,
      query: QUERY,
      documents: DOCS,
      top_n: null,
      return_documents: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { index: number }) => r.index)).toEqual(order);
  });

  it('TEI (raw_scores, return_text, truncate, truncation_direction as null take their defaults)', async () => {
    const res = await post(`${t.url}/rerank`, {
      query: QUERY,
      texts: DOCS,
      raw_scores: null,
      return_text: null,
      truncate: null,
      truncation_direction: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.map((r: { index: number }) => r.index)).toEqual(order);
    // raw_scores absent: relevance in [0, 1]; return_text absent: no text.
    const results = res.body.map((r: { index: number; score: number }) => ({
      index: r.index,
      relevanceScore: r.score,
    }));
    expect(maxGap(results, expected)).toBeLessThan(1e-6);
    expect(res.body[0]).not.toHaveProperty('text');
  });

  it('native (top_k and return_documents as null take their defaults)', async () => {
    const res = await post(`${t.url}/rerank`, {
      query: QUERY,
      documents: DOCS,
      top_k: null,
      return_documents: null,
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { index: number }) => r.index)).toEqual(order);
    expect(maxGap(snake(res.body.results), expected)).toBeLessThan(1e-6);
    // return_documents' default is true.
    expect(res.body.results[0].document).toBe(DOCS[order[0]!]);
  });

  it('required fields still refuse null, in each flavour', async () => {
    const cohere = await post(`${t.url}/v2/rerank`, { query: null, documents: DOCS });
    expect([cohere.status, cohere.body.field]).toEqual([400, 'query']);
    const tei = await post(`${t.url}/rerank`, { query: QUERY, texts: null });
    expect([tei.status, tei.body.error_type]).toEqual([422, 'Validation']);
    const native = await post(`${t.url}/rerank`, { query: QUERY, documents: null, top_k: null });
    expect([native.status, native.body.error.field]).toEqual([422, 'documents']);
  });

  it('a present but wrong optional field is still refused with its own message', async () => {
    const res = await post(`${t.url}/v1/rerank`, { query: QUERY, documents: DOCS, top_n: 0 });
    expect([res.status, res.body.field]).toEqual([400, 'top_n']);
    expect(res.body.message).toMatch(/top_n must be at least 1/);
  });
});
