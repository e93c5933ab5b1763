import { isRerankerError } from '@reranker/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepTails, planChunks } from '../src/chunking';
import { lastWords, longWordChars, words as splitWords } from '../src/words';
import { post, QUERY, startServer, type TestServer } from './helpers';

/** One token per word: an independent counter for the unit tests. */
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
const seq = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `w${i + from}`).join(' ');

describe('planChunks', () => {
  it('passes documents that fit unchanged and splits long ones at word boundaries', async () => {
    const plan = await planChunks(['short doc', seq(25)], { budget: 10, maxChunks: 10, count: words });
    expect(plan.texts).toEqual(['short doc', seq(10), seq(10, 10), seq(5, 20)]);
    expect(plan.owner).toEqual([0, 1, 1, 1]);
  });

  it('keeps at most maxChunks chunks and maxTokens tokens per document', async () => {
    expect((await planChunks([seq(25)], { budget: 10, maxChunks: 2, count: words })).texts).toEqual([
      seq(10),
      seq(10, 10),
    ]);
    expect(
      (await planChunks([seq(25)], { budget: 10, maxChunks: 9, maxTokens: 15, count: words })).texts,
    ).toEqual([seq(10), seq(5, 10)]);
    // A document within the window but over maxTokens is cut too.
    expect(
      (await planChunks([seq(8)], { budget: 10, maxChunks: 9, maxTokens: 5, count: words })).texts,
    ).toEqual([seq(5)]);
  });

  it('reads a long document only as far as its chunks reach, a few hundred characters per count', async () => {
    const counted: string[] = [];
    const spy = (text: string) => {
      counted.push(text);
      return words(text);
    };
    const plan = await planChunks([seq(200_000)], { budget: 100, maxChunks: 3, count: spy });
    expect(plan.texts).toEqual([seq(100), seq(100, 100), seq(100, 200)]);
    // Each word is counted once, or twice where a chunk ends (once in its piece, once alone).
    const chars = counted.reduce((sum, text) => sum + text.length, 0);
    expect(chars).toBeLessThan(2 * seq(400).length);
    expect(counted.length).toBeLessThan(200);
  });

  it('stops planning once more than maxTexts texts are planned', async () => {
    const docs = Array.from({ length: 50 }, () => seq(30));
    const plan = await planChunks(docs, { budget: 10, maxChunks: 10, maxTexts: 20, count: words });
    expect(plan.texts.length).toBeGreaterThan(20);
    expect(plan.texts.length).toBeLessThan(30);
  });

  it('cuts a giant word to longWordChars(budget) before counting it, and whitespace runs to nothing', async () => {
    const counted: number[] = [];
    const spy = (text: string) => {
      counted.push(text.length);
      return Math.ceil(text.length / 4);
    };
    const blob = 'x'.repeat(1_000_000);
    const plan = await planChunks([`${blob} tail`, ' '.repeat(100_000), '  '], {
      budget: 10,
      maxChunks: 5,
      count: spy,
    });
    expect(plan.texts).toEqual(['x'.repeat(longWordChars(10)), 'tail', '', '  ']);
    // The megabyte itself is never tokenized.
    expect(Math.max(...counted)).toBeLessThan(longWordChars(10) + 300);
  });

  it('gives the event loop back while it plans, and stops when aborted', async () => {
    const docs = Array.from({ length: 200 }, (_, i) => seq(300, i));
    const slow = (text: string) => {
      const until = performance.now() + 0.05;
      while (performance.now() < until);
      return words(text);
    };
    let timerRan = false;
    setTimeout(() => {
      timerRan = true;
    }, 0);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    const error = await planChunks(docs, {
      budget: 10,
      maxChunks: 50,
      count: slow,
      signal: abort.signal,
    }).catch((e: unknown) => e);
    expect(timerRan).toBe(true);
    expect(isRerankerError(error) && error.code).toBe('ABORTED');
  });
});

describe('words', () => {
  it('splits into words with their whitespace, from either end, and joins back', () => {
    const text = '  alpha beta\tgamma \n delta  ';
    const forward = [...splitWords(text, 100)].map((w) => w.text);
    expect(forward).toEqual(['  alpha ', 'beta\t', 'gamma \n ', 'delta  ']);
    expect([...lastWords(text, 100)].map((w) => w.text).reverse()).toEqual(forward);
  });

  it('cuts words longer than maxChars without splitting a surrogate pair', () => {
    const emoji = '\u{1F600}'.repeat(10);
    expect([...splitWords(`${emoji} a`, 5)].map((w) => w.text)).toEqual(['\u{1F600}\u{1F600} ', 'a']);
    expect([...lastWords(`a ${emoji}`, 5)].map((w) => [w.text, w.cut])).toEqual([
      ['\u{1F600}\u{1F600}', true],
    ]);
  });
});

describe('keepTails', () => {
  it('keeps the last words that fit', async () => {
    expect(await keepTails(['a b c d e', ' a b '], 2, words)).toEqual(['d e', ' a b ']);
  });

  it('reads a long text from its end only', async () => {
    const counted: string[] = [];
    const spy = (text: string) => {
      counted.push(text);
      return words(text);
    };
    expect(await keepTails([seq(100_000)], 3, spy)).toEqual([seq(3, 99_997)]);
    expect(counted.length).toBe(4);
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
