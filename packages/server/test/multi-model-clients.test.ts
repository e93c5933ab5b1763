import { createCohere } from '@ai-sdk/cohere';
import { onnxNodeBackend } from '@reranker/node';
import { referencePairScores } from '@reranker/testkit';
import { rerank } from 'ai';
import { CohereClientV2, CohereError } from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, get, post, QUERY } from './helpers';
import { type MultiServer, startMultiServer } from './multi-server';
import { expectedOrder, maxGap } from './reference-scores';

// Two synthesized models with random weights in one server, a BERT (`minilm`, the default) and an
// XLM-R (`xlmr`), on onnxruntime-node (one worker thread each). Every score is checked against the
// testkit's float64 reference pass over the model the request named.
let lenient: MultiServer;
let strict: MultiServer;
const models = [
  { name: 'minilm', preset: 'tiny' as const },
  { name: 'xlmr', preset: 'tiny-xlmr' as const, aliases: ['jina-reranker-v2-base-multilingual', 'multi'] },
];
const backends = () => [onnxNodeBackend({ workers: 1, threadsPerWorker: 1, allowSpinning: false })];

beforeAll(async () => {
  lenient = await startMultiServer({ models, backends });
  strict = await startMultiServer({ models, backends, config: { strictModelNames: true } });
}, 120_000);
afterAll(async () => {
  await lenient?.close();
  await strict?.close();
});

/** Relevance of each document by the reference pass over model `name` of `server`. */
async function reference(server: MultiServer, name: string, query: string): Promise<number[]> {
  const logits = await referencePairScores(server.dirs.get(name)!, query, DOCS);
  return logits.map((logit) => 1 / (1 + Math.exp(-logit)));
}

describe('cohere-ai CohereClientV2 routes by model', () => {
  it.each([
    ['minilm', 'minilm'],
    ['xlmr', 'xlmr'],
    ['XLMR', 'xlmr'],
    ['jina-reranker-v2-base-multilingual', 'xlmr'],
    ['rerank-v3.5', 'minilm'],
    ['rerank-english-v3.0', 'minilm'],
  ])('model %s is answered by %s, with its reference scores', async (requested, served) => {
    const client = new CohereClientV2({ token: '', environment: strict.url, maxRetries: 0 });
    const response = await client.rerank({ model: requested, query: QUERY, documents: DOCS });
    const expected = await reference(strict, served, QUERY);
    expect(response.results.map((r) => r.index)).toEqual(expectedOrder(expected));
    expect(maxGap(response.results, expected)).toBeLessThan(1e-4);
    // The raw body echoes the served model's name.
    const raw = await post(`${strict.url}/v2/rerank`, { model: requested, query: QUERY, documents: DOCS });
    expect(raw.body.model).toBe(served);
  });

  it('the two models score differently (routing is not a no-op)', async () => {
    const [a, b] = await Promise.all([reference(strict, 'minilm', QUERY), reference(strict, 'xlmr', QUERY)]);
    expect(
      maxGap(
        a.map((s, index) => ({ index, relevanceScore: s })),
        b,
      ),
    ).toBeGreaterThan(1e-3);
  });

  it('strict names: 404 listing the served names for a name, path, URL or hub id not configured', async () => {
    const client = new CohereClientV2({ token: '', environment: strict.url, maxRetries: 0 });
    for (const model of [
      'bge',
      './models/bge',
      '/etc',
      'https://example.com/m.onnx',
      'BAAI/bge-reranker-base',
    ]) {
      const error = await client.rerank({ model, query: QUERY, documents: DOCS }).catch((e: unknown) => e);
      expect(error, model).toBeInstanceOf(CohereError);
      expect((error as CohereError).statusCode).toBe(404);
      expect((error as CohereError).body).toMatchObject({ code: 'MODEL_NOT_FOUND', field: 'model' });
      expect((error as { body: { message: string } }).body.message).toContain('minilm, xlmr');
    }
    // Nothing was loaded for them: only the configured models exist, loaded at most once each.
    expect(strict.models.entries.map((e) => e.name)).toEqual(['minilm', 'xlmr']);
    expect([...strict.loads.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('ai rerank() with @ai-sdk/cohere routes by model', () => {
  it.each(['xlmr', 'multi', 'minilm'])('model %s: ranking and scores of its reference', async (name) => {
    const cohere = createCohere({ baseURL: `${lenient.url}/v2`, apiKey: 'unused' });
    const query = `${QUERY} (${name})`;
    const result = await rerank({
      model: cohere.reranking(name),
      query,
      documents: DOCS,
      topN: 3,
      maxRetries: 0,
    });
    const served = name === 'minilm' ? 'minilm' : 'xlmr';
    const expected = await reference(lenient, served, query);
    expect(result.ranking.map((r) => r.originalIndex)).toEqual(expectedOrder(expected).slice(0, 3));
    const scores = result.ranking.map((r) => ({ index: r.originalIndex, relevanceScore: r.score }));
    expect(maxGap(scores, expected)).toBeLessThan(1e-4);
  });
});

describe('native and TEI requests route by the optional model field', () => {
  it('native /rerank with model, and without it (the default)', async () => {
    const expected = await reference(lenient, 'xlmr', QUERY);
    const named = await post(`${lenient.url}/rerank`, {
      model: 'xlmr',
      query: QUERY,
      documents: DOCS,
      top_k: 0,
    });
    expect(named.status).toBe(200);
    expect(
      maxGap(
        named.body.results.map((r: { index: number; relevance_score: number }) => ({
          index: r.index,
          relevanceScore: r.relevance_score,
        })),
        expected,
      ),
    ).toBeLessThan(1e-4);
    const plain = await post(`${lenient.url}/rerank`, { query: QUERY, documents: DOCS, top_k: 0 });
    const fallback = await reference(lenient, 'minilm', QUERY);
    expect(
      maxGap(
        plain.body.results.map((r: { index: number; relevance_score: number }) => ({
          index: r.index,
          relevanceScore: r.relevance_score,
        })),
        fallback,
      ),
    ).toBeLessThan(1e-4);
  });

  it('TEI /rerank with texts and model', async () => {
    const expected = await reference(lenient, 'xlmr', QUERY);
    const res = await post(`${lenient.url}/rerank`, { model: 'xlmr', query: QUERY, texts: DOCS });
    expect(res.status).toBe(200);
    expect(
      maxGap(
        res.body.map((r: { index: number; score: number }) => ({ index: r.index, relevanceScore: r.score })),
        expected,
      ),
    ).toBeLessThan(1e-4);
  });

  it('lenient names: an unknown name or a path is answered by the default model, never loaded', async () => {
    const res = await post(`${lenient.url}/v1/rerank`, {
      model: '../../etc/passwd',
      query: QUERY,
      documents: DOCS,
    });
    expect([res.status, res.body.model]).toEqual([200, 'minilm']);
    expect(lenient.models.entries.map((e) => e.name)).toEqual(['minilm', 'xlmr']);
  });
});

describe('GET /v1/models and /info?model=', () => {
  it('lists the served models OpenAI-style', async () => {
    const { status, body } = await get(`${lenient.url}/v1/models`);
    expect(status).toBe(200);
    expect(body.object).toBe('list');
    expect(body.data).toEqual([
      expect.objectContaining({
        id: 'minilm',
        object: 'model',
        kind: 'cross-encoder',
        dtype: 'fp32',
        max_length: 512,
        loaded: true,
        aliases: [],
        default: true,
      }),
      expect.objectContaining({
        id: 'xlmr',
        object: 'model',
        kind: 'cross-encoder',
        loaded: true,
        aliases: ['jina-reranker-v2-base-multilingual', 'multi'],
        default: false,
      }),
    ]);
    expect(body.data[0].backend).toBe('onnxruntime-node');
  });

  it('/info?model= describes one model; unknown names are 404', async () => {
    const one = await get(`${lenient.url}/info?model=multi`);
    expect(one.body).toMatchObject({
      model_id: 'xlmr',
      loaded: true,
      default_model: 'minilm',
      max_input_length: 512,
    });
    const plain = await get(`${lenient.url}/info`);
    expect(plain.body.model_id).toBe('minilm');
    const unknown = await get(`${lenient.url}/info?model=nope`);
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'MODEL_NOT_FOUND']);
  });
});
