import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepTail, planChunks } from '../src/chunking';
import { post, QUERY, startServer, type TestServer } from './helpers';

/** One token per word: an independent counter for the unit tests. */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const seq = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `w${i + from}`).join(' ');

describe('planChunks', () => {
  it('passes documents that fit unchanged and splits long ones at word boundaries', () => {
    const plan = planChunks(['short doc', seq(25)], { budget: 10, maxChunks: 10, count: words });
    expect(plan.texts).toEqual(['short doc', seq(10), seq(10, 10), seq(5, 20)]);
    expect(plan.owner).toEqual([0, 1, 1, 1]);
  });

  it('keeps at most maxChunks chunks and maxTokens tokens per document', () => {
    expect(planChunks([seq(25)], { budget: 10, maxChunks: 2, count: words }).texts).toEqual([
      seq(10),
      seq(10, 10),
    ]);
    expect(planChunks([seq(25)], { budget: 10, maxChunks: 9, maxTokens: 15, count: words }).texts).toEqual([
      seq(10),
      seq(5, 10),
    ]);
  });
});

describe('keepTail', () => {
  it('keeps the last words that fit', () => {
    expect(keepTail('a b c d e', 2, words)).toBe('d e');
    expect(keepTail('a b', 5, words)).toBe('a b');
  });
});

describe('Cohere chunking over HTTP', () => {
  let t: TestServer;
  // Words the tiny model's tokenizer keeps whole, so chunk edges are predictable.
  const vocabulary = ['sun', 'water', 'panel', 'cell', 'river', 'house', 'time', 'day', 'people', 'world'];
  const list = Array.from(
    { length: 1200 },
    (_, i) => vocabulary[(i * 7 + Math.floor(i / 13)) % vocabulary.length]!,
  );
  const long = list.join(' ');
  let budget: number;
  const score = async (text: string) => (await t.reranker.rerank(QUERY, [text]))[0]!.relevanceScore;

  beforeAll(async () => {
    t = await startServer();
    expect(t.reranker.countTokens(long)).toBe(list.length);
    // What fits next to the query: the window minus the query minus the template's special tokens.
    budget = 512 - t.reranker.countTokens(QUERY) - (await t.reranker.info()).pairSpecialTokens;
  });
  afterAll(() => t.close());

  it('scores a long document as its best chunk (v1, default 10 chunks)', async () => {
    const chunks: string[] = [];
    for (let start = 0; start < list.length; start += budget)
      chunks.push(list.slice(start, start + budget).join(' '));
    const scores = await Promise.all(chunks.map(score));
    const best = Math.max(...scores);
    expect(chunks.length).toBeLessThanOrEqual(10);
    // The best chunk is not the first, so scoring only the first window would fail this test.
    expect(scores.indexOf(best)).toBeGreaterThan(0);
    const res = await post(`${t.url}/v1/rerank`, { query: QUERY, documents: ['a short one', long] });
    const result = res.body.results.find((r: { index: number }) => r.index === 1);
    expect(result.relevance_score).toBeCloseTo(best, 12);
    expect(result.document.text).toBe(long);
    expect(res.body.meta.billed_units.search_units).toBe(1);
  });

  it('max_chunks_per_doc: 1 scores only the first window', async () => {
    const res = await post(`${t.url}/v1/rerank`, { query: QUERY, documents: [long], max_chunks_per_doc: 1 });
    expect(res.body.results[0].relevance_score).toBeCloseTo(await score(list.slice(0, budget).join(' ')), 12);
  });

  it('max_tokens_per_doc (v2) cuts the document first', async () => {
    const res = await post(`${t.url}/v2/rerank`, {
      query: QUERY,
      documents: [long],
      max_tokens_per_doc: 100,
    });
    expect(res.body.results[0].relevance_score).toBeCloseTo(await score(list.slice(0, 100).join(' ')), 12);
  });
});
