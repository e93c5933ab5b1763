import { APICallError, InvalidArgumentError, type RerankingModelV4 } from '@ai-sdk/provider';
import { startTestServer, type TestServer } from '@reranker/server/testing';
import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { rerank } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localReranker, rerankerServer } from '../src/index';

// Over a synthesized model (random weights) the order means nothing: these tests check the ranking
// and scores against the testkit's independent reference forward pass, through the real `rerank()`.
const TEXTS = [
  'Photovoltaic cells turn sunlight into an electric current.',
  'The bakery on the corner sells fresh bread every morning.',
  'Solar panels feed direct current to an inverter.',
  'Penguins live in the southern hemisphere.',
  'Wind turbines turn moving air into electricity.',
];

let dir: string;
let t: TestServer;
beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  t = await startTestServer(dir);
});
afterAll(() => t?.close());

/** Reference relevance of each text (in input order), best-first indices, for `query`. */
async function reference(query: string, texts: string[]) {
  const relevance = (await referencePairScores(dir, query, texts)).map((l) => 1 / (1 + Math.exp(-l)));
  const order = relevance
    .map((score, index) => ({ score, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((r) => r.index);
  return { relevance, order };
}

const models: [string, () => RerankingModelV4][] = [
  ['in-process', () => localReranker(t.reranker)],
  ['server', () => rerankerServer({ baseURL: t.url })],
];

describe.each(models)('%s', (name, model) => {
  // A query of its own per test: the pair cache would otherwise answer and count 0 tokens.
  const queryFor = (test: string) => `How do solar panels produce electricity? (${name} ${test})`;

  it('ranks strings with topN: order and scores of the reference, usage reported', async () => {
    const query = queryFor('strings');
    const { relevance, order } = await reference(query, TEXTS);
    const result = await rerank({ model: model(), query, documents: TEXTS, topN: 3, maxRetries: 0 });
    expect(result.ranking.map((r) => r.originalIndex)).toEqual(order.slice(0, 3));
    for (const r of result.ranking) expect(r.score).toBeCloseTo(relevance[r.originalIndex]!, 5);
    expect(result.rerankedDocuments).toEqual(order.slice(0, 3).map((i) => TEXTS[i]));
    const usage = (result.providerMetadata!.reranker as { usage: { tokens: number } }).usage;
    expect(usage.tokens).toBeGreaterThan(TEXTS.length);
  });

  it('ranks objects on their text, or on rankFields as "field: value" lines', async () => {
    const query = queryFor('objects');
    const docs = TEXTS.map((text, i) => ({ text, title: `Title ${i}`, id: i }));
    const byText = await reference(query, TEXTS);
    const result = await rerank({ model: model(), query, documents: docs, maxRetries: 0 });
    expect(result.ranking.map((r) => r.originalIndex)).toEqual(byText.order);
    expect(result.rerankedDocuments).toEqual(byText.order.map((i) => docs[i]));

    const lines = docs.map((d) => `title: ${d.title}\ntext: ${d.text}`);
    const byFields = await reference(query, lines);
    const fields = await rerank({
      model: model(),
      query,
      documents: docs,
      topN: 2,
      providerOptions: { reranker: { rankFields: ['title', 'text'] } },
      maxRetries: 0,
    });
    expect(fields.ranking.map((r) => r.originalIndex)).toEqual(byFields.order.slice(0, 2));
    for (const r of fields.ranking) expect(r.score).toBeCloseTo(byFields.relevance[r.originalIndex]!, 5);
  });

  it('an aborted signal rejects with an AbortError and no retry', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      rerank({ model: model(), query: queryFor('abort'), documents: TEXTS, abortSignal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('instruction: in-process a warning (give it to the reranker); a cross-encoder server refuses it', async () => {
    const call = model().doRerank({
      query: queryFor('instruction'),
      documents: { type: 'text', values: TEXTS },
      providerOptions: { reranker: { instruction: 'Prefer recent passages.' } },
    });
    if (name === 'in-process') {
      const result = await call;
      expect(result.ranking).toHaveLength(TEXTS.length);
      expect(result.warnings).toEqual([
        expect.objectContaining({ type: 'unsupported', feature: 'instruction' }),
      ]);
      return;
    }
    const error = await call.then(
      () => undefined,
      (e: unknown) => e as { statusCode?: number; responseBody?: string },
    );
    expect(error?.statusCode).toBe(400);
    expect(error?.responseBody).toMatch(/instruction/);
  });

  it('bad provider options are an InvalidArgumentError', async () => {
    await expect(
      rerank({
        model: model(),
        query: queryFor('options'),
        documents: TEXTS,
        providerOptions: { reranker: { maxTokensPerDoc: -1 } },
        maxRetries: 0,
      }),
    ).rejects.toSatisfy((e) => InvalidArgumentError.isInstance(e));
  });
});

describe('errors', () => {
  const docs = [{ text: 'a text' }, { title: 'no text field' }];

  it('server: a document without text is an APICallError 400 with the server message, not retried', async () => {
    let calls = 0;
    const model = rerankerServer({
      baseURL: `${t.url}/`,
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    const error = await rerank({ model, query: 'q', documents: docs, maxRetries: 2 }).catch((e) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 400, isRetryable: false });
    expect(error.message).toMatch(/documents\[1\].*"text"/);
    expect(calls).toBe(1);
  });

  it('in-process: the same document is an InvalidArgumentError naming it', async () => {
    const error = await rerank({ model: localReranker(t.reranker), query: 'q', documents: docs }).catch(
      (e) => e,
    );
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/documents\[1\].*"text"/);
  });

  it('in-process: engine input errors are InvalidArgumentErrors (an empty query)', async () => {
    const error = await rerank({ model: localReranker(t.reranker), query: ' ', documents: TEXTS }).catch(
      (e) => e,
    );
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect(error.argument).toBe('query');
  });

  it("server: a 503 with retry-after-ms is retried by rerank()'s maxRetries", async () => {
    let calls = 0;
    const model = rerankerServer({
      baseURL: t.url,
      apiKey: 'secret',
      fetch: async (input, init) => {
        calls++;
        expect(new Headers(init?.headers).get('authorization')).toBe('Bearer secret');
        if (calls === 1) {
          return new Response(JSON.stringify({ message: 'busy', code: 'QUEUE_FULL' }), {
            status: 503,
            headers: { 'content-type': 'application/json', 'retry-after-ms': '1' },
          });
        }
        return fetch(input, init);
      },
    });
    const query = 'retried query';
    const { order } = await reference(query, TEXTS);
    const result = await rerank({ model, query, documents: TEXTS, maxRetries: 1 });
    expect(calls).toBe(2);
    expect(result.ranking.map((r) => r.originalIndex)).toEqual(order);
  });
});

it('localReranker(options) builds its engine on first use and frees it on dispose()', async () => {
  const model = localReranker({ model: dir, env: {}, progress: 'none' });
  expect(model.modelId).toBe(dir);
  const query = 'a query for an engine of its own';
  const { relevance, order } = await reference(query, TEXTS);
  const result = await rerank({ model, query, documents: TEXTS, topN: 1, maxRetries: 0 });
  expect(result.ranking).toEqual([
    { originalIndex: order[0], score: expect.closeTo(relevance[order[0]!]!, 5), document: TEXTS[order[0]!] },
  ]);
  await model.dispose();
  await model.dispose();
});
