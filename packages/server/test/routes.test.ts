import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';

let t: TestServer;
let expected: Awaited<ReturnType<TestServer['reranker']['rerank']>>;

beforeAll(async () => {
  t = await startServer({ config: { modelAliases: ['rerank-english-v3.0'] } });
  // The engine's own answer, which every API flavour must reproduce.
  expected = await t.reranker.rerank(QUERY, DOCS, { useCache: false });
});
afterAll(() => t.close());

describe('POST /rerank (native)', () => {
  it('returns every document best first with logit and relevance scores', async () => {
    const res = await post(`${t.url}/rerank`, { query: QUERY, documents: DOCS });
    expect(res.status).toBe(200);
    expect(typeof res.body.processing_time_ms).toBe('number');
    expect(res.body.results).toEqual(
      expected.map((r) => ({
        index: r.index,
        document: DOCS[r.index],
        score: r.score,
        relevance_score: r.relevanceScore,
      })),
    );
    expect(res.headers.get('x-request-id')).toMatch(/.+/);
    expect(Number(res.headers.get('x-total-time'))).toBeGreaterThanOrEqual(0);
    expect(res.headers.get('x-queue-time')).not.toBeNull();
    expect(res.headers.get('x-inference-time')).not.toBeNull();
  });

  it('keeps top_k results; absent, <= 0 or too large means all', async () => {
    const two = await post(`${t.url}/rerank`, { query: QUERY, documents: DOCS, top_k: 2 });
    expect(two.body.results.map((r: { index: number }) => r.index)).toEqual(
      expected.slice(0, 2).map((r) => r.index),
    );
    for (const top_k of [0, -3, 99, null]) {
      const all = await post(`${t.url}/rerank`, { query: QUERY, documents: DOCS, top_k });
      expect(all.body.results).toHaveLength(DOCS.length);
    }
  });

  it('omits documents with return_documents: false and accepts { text } objects', async () => {
    const res = await post(`${t.url}/rerank`, {
      query: QUERY,
      documents: DOCS.map((text, id) => ({ text, id })),
      return_documents: false,
    });
    expect(res.body.results[0]).not.toHaveProperty('document');
    expect(res.body.results.map((r: { index: number }) => r.index)).toEqual(expected.map((r) => r.index));
  });

  it('answers an empty document list with no results', async () => {
    const res = await post(`${t.url}/rerank`, { query: QUERY, documents: [] });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([]);
  });

  it('honours x-request-id', async () => {
    const res = await post(
      `${t.url}/rerank`,
      { query: QUERY, documents: DOCS },
      { 'x-request-id': 'abc-123' },
    );
    expect(res.headers.get('x-request-id')).toBe('abc-123');
  });
});

describe('POST /rerank (TEI)', () => {
  it('returns a bare array of { index, score } with relevance scores, best first', async () => {
    const res = await post(`${t.url}/rerank`, { query: QUERY, texts: DOCS });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expected.map((r) => ({ index: r.index, score: r.relevanceScore })));
  });

  it('gives logits with raw_scores and texts with return_text', async () => {
    const res = await post(`${t.url}/rerank`, {
      query: QUERY,
      texts: DOCS,
      raw_scores: true,
      return_text: true,
    });
    expect(res.body).toEqual(expected.map((r) => ({ index: r.index, score: r.score, text: DOCS[r.index] })));
  });

  it('keeps the end of long texts with truncation_direction "left"', async () => {
    const words = Array.from({ length: 800 }, (_, i) => ['sun', 'water', 'panel', 'cell', 'river'][i % 5]!);
    const long = words.join(' ');
    expect(t.reranker.countTokens(long)).toBe(words.length); // one token per word: the cut is predictable
    // What fits next to the query: 512 minus the query minus the template's special tokens.
    const budget = 512 - t.reranker.countTokens(QUERY) - (await t.reranker.info()).pairSpecialTokens;
    const [tail] = await t.reranker.rerank(QUERY, [words.slice(-budget).join(' ')]);
    const [head] = await t.reranker.rerank(QUERY, [long]);
    const left = await post(`${t.url}/rerank`, {
      query: QUERY,
      texts: [long],
      raw_scores: true,
      truncation_direction: 'Left',
    });
    const right = await post(`${t.url}/rerank`, { query: QUERY, texts: [long], raw_scores: true });
    expect(left.body[0].score).toBeCloseTo(tail!.score, 10);
    expect(right.body[0].score).toBeCloseTo(head!.score, 10);
    expect(tail!.score).not.toBeCloseTo(head!.score, 6);
  });

  it('refuses over-long pairs with truncate: false', async () => {
    const long = 'sun '.repeat(600);
    const res = await post(`${t.url}/rerank`, { query: QUERY, texts: ['short', long], truncate: false });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: expect.stringContaining('texts[1]'), error_type: 'Validation' });
    const ok = await post(`${t.url}/rerank`, { query: QUERY, texts: ['short'], truncate: false });
    expect(ok.status).toBe(200);
  });
});

describe('POST /v1/rerank and /v2/rerank (Cohere, Jina)', () => {
  it('v1 answers with id, model, results with documents, meta and usage', async () => {
    const res = await post(`${t.url}/v1/rerank`, {
      model: 'rerank-english-v3.0',
      query: QUERY,
      documents: DOCS,
      top_n: 3,
    });
    expect(res.status).toBe(200);
    expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.model).toBe(t.app.service.modelName);
    expect(res.body.meta).toEqual({ api_version: { version: '1' }, billed_units: { search_units: 1 } });
    expect(res.body.usage.total_tokens).toBeGreaterThanOrEqual(0);
    expect(res.body.results).toEqual(
      expected.slice(0, 3).map((r) => ({
        index: r.index,
        relevance_score: r.relevanceScore,
        document: { text: DOCS[r.index] },
      })),
    );
  });

  it('v2 omits documents unless asked', async () => {
    const res = await post(`${t.url}/v2/rerank`, { model: 'x', query: QUERY, documents: DOCS });
    expect(res.body.meta.api_version.version).toBe('2');
    expect(res.body.results).toEqual(
      expected.map((r) => ({ index: r.index, relevance_score: r.relevanceScore })),
    );
    const withDocs = await post(`${t.url}/v2/rerank`, {
      query: QUERY,
      documents: DOCS,
      return_documents: true,
    });
    expect(withDocs.body.results[0].document).toEqual({ text: DOCS[expected[0]!.index] });
  });

  it('ranks objects on rank_fields and returns them whole, with text', async () => {
    const documents = DOCS.map((body, id) => ({ title: `doc ${id}`, body, id }));
    const res = await post(`${t.url}/v1/rerank`, { query: QUERY, documents, rank_fields: ['body'] });
    const asText = documents.map((d) => `body: ${d.body}`);
    const want = await t.reranker.rerank(QUERY, asText);
    expect(res.body.results.map((r: { index: number }) => r.index)).toEqual(want.map((r) => r.index));
    const first = res.body.results[0];
    expect(first.document).toEqual({ ...documents[first.index], text: asText[first.index] });
  });

  it('a plain /rerank with top_n or model answers in the Cohere shape', async () => {
    const res = await post(`${t.url}/rerank`, { model: 'anything', query: QUERY, documents: DOCS, top_n: 2 });
    expect(res.body.results).toHaveLength(2);
    expect(res.body.results[0]).toHaveProperty('relevance_score');
    expect(res.body.meta.api_version.version).toBe('1');
  });
});
