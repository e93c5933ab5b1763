import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, postChunked, type Shape } from './flavour-shapes';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';

// Issue 13 item 3: the flavour is decided before auth and body parsing, so every error a request can
// get — 401, 413, 415, invalid JSON — has the shape of the API it speaks, on plain /rerank too.

const KEY = 'flavour-key';
const LIMIT = 64 * 1024;
let t: TestServer;

beforeAll(async () => {
  t = await startServer({ config: { apiKeys: [KEY], bodyLimitBytes: LIMIT } });
});
afterAll(() => t.close());

const auth = { authorization: `Bearer ${KEY}` };
const big = 'x'.repeat(LIMIT + 100);

interface Speaker {
  name: string;
  path: string;
  shape: Shape;
  /** A valid body of this API. */
  body: Record<string, unknown>;
  /** The same body over BODY_LIMIT. */
  large: Record<string, unknown>;
  /** Broken JSON that still shows the API's keys before it breaks. */
  broken: string;
}

const SPEAKERS: Speaker[] = [
  {
    name: 'native on /rerank',
    path: '/rerank',
    shape: 'native',
    body: { query: QUERY, documents: DOCS, top_k: 2 },
    large: { query: QUERY, documents: [big], top_k: 2 },
    broken: '{"query": "a", "documents": [',
  },
  {
    name: 'TEI on /rerank',
    path: '/rerank',
    shape: 'tei',
    body: { query: QUERY, texts: DOCS },
    large: { query: QUERY, texts: [big] },
    broken: '{"query": "a", "texts": [1,',
  },
  {
    name: 'Cohere on /rerank',
    path: '/rerank',
    shape: 'cohere',
    body: { model: 'rerank-v3.5', query: QUERY, documents: DOCS, top_n: 2 },
    large: { model: 'rerank-v3.5', query: QUERY, documents: [big] },
    broken: '{"model": "rerank-v3.5", "query": ',
  },
  {
    name: 'Cohere v1',
    path: '/v1/rerank',
    shape: 'cohere',
    body: { query: QUERY, documents: DOCS },
    large: { query: QUERY, documents: [big] },
    broken: '{"query": ',
  },
  {
    name: 'Cohere v2',
    path: '/v2/rerank',
    shape: 'cohere',
    body: { model: 'rerank-v3.5', query: QUERY, documents: DOCS },
    large: { model: 'rerank-v3.5', query: QUERY, documents: [big] },
    broken: '{"model": "rerank-v3.5", "documents": ["a"',
  },
];

describe.each(SPEAKERS)('$name: errors in its own shape', ({ path, shape, body, large, broken }) => {
  const url = () => `${t.url}${path}`;

  it('is served with the key (the body really speaks this API)', async () => {
    const res = await post(url(), body, auth);
    expect(res.status).toBe(200);
    if (shape === 'tei') expect(Array.isArray(res.body)).toBe(true);
    else if (shape === 'cohere') expect(res.body.meta.api_version).toBeDefined();
    else expect(res.body.processing_time_ms).toBeTypeOf('number');
  });

  it('401 without a key, and with a wrong one', async () => {
    expectError(await post(url(), body), 401, shape, 'UNAUTHORIZED', 'Unauthorized');
    expectError(
      await post(url(), body, { authorization: 'Bearer nope' }),
      401,
      shape,
      'UNAUTHORIZED',
      'Unauthorized',
    );
  });

  it('401 comes before the other checks', async () => {
    const res = await post(url(), JSON.stringify(body), { 'content-type': 'text/plain' });
    expectError(res, 401, shape, 'UNAUTHORIZED', 'Unauthorized');
  });

  it('413 over BODY_LIMIT, with a Content-Length and chunked', async () => {
    expectError(await post(url(), large, auth), 413, shape, 'PAYLOAD_TOO_LARGE');
    expectError(await postChunked(url(), JSON.stringify(large), auth), 413, shape, 'PAYLOAD_TOO_LARGE');
  });

  it('415 for JSON sent as text/plain', async () => {
    const res = await post(url(), JSON.stringify(body), { ...auth, 'content-type': 'text/plain' });
    expectError(res, 415, shape, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('400 for invalid JSON', async () => {
    expectError(await post(url(), broken, auth), 400, shape, 'INVALID_JSON');
  });
});

describe('the flavour of a refused /rerank body', () => {
  it('comes from its top-level keys only, wherever they are', async () => {
    // "texts" deep inside a document or inside a string does not make a TEI request.
    const native = { query: QUERY, documents: [{ text: 'a', texts: ['b'] }, '"texts": ['] };
    expectError(await post(`${t.url}/rerank`, native), 401, 'native', 'UNAUTHORIZED');
    // A key written with an escape is the same key.
    const tei = `{"query": "a", "te\\u0078ts": ["b"]}`;
    expectError(await post(`${t.url}/rerank`, tei), 401, 'tei', 'UNAUTHORIZED', 'Unauthorized');
    // top_k makes it native even with a model (the rule the routes use).
    const both = { model: 'm', query: QUERY, documents: DOCS, top_k: 1 };
    expectError(await post(`${t.url}/rerank`, both), 401, 'native', 'UNAUTHORIZED');
  });

  it('is native when nothing in the body says otherwise (not JSON, or not an object)', async () => {
    const form = await post(`${t.url}/rerank`, 'query=a&texts=b', {
      ...auth,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expectError(form, 415, 'native', 'UNSUPPORTED_MEDIA_TYPE');
    expectError(await post(`${t.url}/rerank`, '[{"texts": 1}', auth), 400, 'native', 'INVALID_JSON');
  });
});
