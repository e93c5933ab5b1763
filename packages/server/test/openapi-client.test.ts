// A client generated from /openapi.json: openapi-typescript's types (committed in
// fixtures/openapi-types.ts, checked here to be current) used through openapi-fetch. `pnpm typecheck`
// compiles this file, so the calls below typecheck against the spec; here they run against a server.
import { readFile } from 'node:fs/promises';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { components, paths } from './fixtures/openapi-types';
import { DOCS, QUERY, startServer, type TestServer } from './helpers';
import { servedDocument } from './openapi/spec';
import { generateTypes, TYPES_FILE } from './openapi/types';

const KEY = 'client-key';
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
type NativeResponse = components['schemas']['NativeRerankResponse'];

describe('a client generated from the OpenAPI document', () => {
  let t: TestServer;
  let expected: number[];

  beforeAll(async () => {
    t = await startServer({ config: { apiKeys: [KEY] } });
    expected = await referencePairScores(await synthesizedModelDir('tiny'), QUERY, DOCS);
  });
  afterAll(() => t?.close());

  const client = () => createClient<paths>({ baseUrl: t.url, headers: { authorization: `Bearer ${KEY}` } });
  /** Scores in input order, from results in rank order. */
  const byIndex = (results: { index: number }[], score: (r: never) => number) => {
    const scores = new Array<number>(results.length);
    for (const r of results) scores[r.index] = score(r as never);
    return scores;
  };

  it('the committed types are what openapi-typescript generates from the served document', async () => {
    const generated = await generateTypes(await servedDocument());
    expect(generated, 'stale: run `pnpm --filter @reranker/server openapi:types`').toBe(
      await readFile(TYPES_FILE, 'utf8'),
    );
  });

  it('POST /rerank (native): logits of the reference model, best first', async () => {
    const { data, error, response } = await client().POST('/rerank', {
      body: { query: QUERY, documents: DOCS, return_documents: false },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    // The response is one of three shapes; the native one has processing_time_ms.
    const native = data as NativeResponse;
    expect(native.processing_time_ms).toBeGreaterThanOrEqual(0);
    expect(
      maxAbsDiff(
        byIndex(native.results, (r: { score: number }) => r.score),
        expected,
      ),
    ).toBeLessThan(1e-4);
    const scores = native.results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('POST /rerank (TEI): a bare array of relevance scores', async () => {
    const { data } = await client().POST('/rerank', {
      body: { query: QUERY, texts: DOCS, return_text: true },
    });
    if (!Array.isArray(data)) throw new Error(`expected TEI's bare array, got ${JSON.stringify(data)}`);
    expect(data.map((r) => r.text)).toEqual(data.map((r) => DOCS[r.index]));
    expect(
      maxAbsDiff(
        byIndex(data, (r: { score: number }) => r.score),
        expected.map(sigmoid),
      ),
    ).toBeLessThan(1e-4);
  });

  it('POST /v1/rerank and /v2/rerank: Cohere responses with typed fields', async () => {
    for (const path of ['/v1/rerank', '/v2/rerank'] as const) {
      const { data, error } = await client().POST(path, {
        body: { model: 'anything', query: QUERY, documents: DOCS, top_n: 3, return_documents: true },
      });
      if (!data) throw new Error(`${path}: ${JSON.stringify(error)}`);
      expect(data.results).toHaveLength(3);
      expect(data.results.map((r) => r.document?.text)).toEqual(data.results.map((r) => DOCS[r.index]));
      const relevance = expected.map(sigmoid);
      for (const r of data.results) expect(r.relevance_score).toBeCloseTo(relevance[r.index]!, 4);
      expect(Number.isInteger(data.usage.total_tokens)).toBe(true); // 0 on v2: the pairs come from the cache
      expect(data.meta.api_version.version).toBe(path === '/v1/rerank' ? '1' : '2');
    }
  });

  it('GET /health and /info are typed', async () => {
    const health = await client().GET('/health');
    expect(health.data?.status).toBe('healthy');
    const info = await client().GET('/info');
    // A loaded model's info (an unloaded one of several models answers `loaded: false` and its state).
    expect(
      info.data && 'max_client_batch_size' in info.data && info.data.max_client_batch_size,
    ).toBeGreaterThan(0);
  });

  it("errors come back typed in the route's shape", async () => {
    const anonymous = createClient<paths>({ baseUrl: t.url });
    const unauthorized = await anonymous.POST('/v1/rerank', { body: { query: QUERY, documents: DOCS } });
    expect(unauthorized.response.status).toBe(401);
    expect(unauthorized.error?.code).toBe('UNAUTHORIZED');
    // The types refuse a body without `query`; sent anyway, the server refuses it too.
    // @ts-expect-error query is required by the spec
    const invalid = await client().POST('/v2/rerank', { body: { documents: DOCS } });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error).toMatchObject({ code: 'INVALID_INPUT', field: 'query' });
  });
});
