import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, type Json, post, QUERY, startServer, type TestServer } from './helpers';

let t: TestServer;
const LIMIT = 64 * 1024;
const MAX_DOCS = 50;

beforeAll(async () => {
  t = await startServer({
    config: { bodyLimitBytes: LIMIT, maxDocumentsPerRequest: MAX_DOCS, strictModelNames: true },
  });
});
afterAll(() => t.close());

type Expect =
  | { native: string; field?: string }
  | { tei: string; code?: string }
  | { cohere: string; field?: string };

interface Case {
  name: string;
  path: string;
  body: unknown;
  status: number;
  expect: Expect;
  headers?: Record<string, string>;
}

const native = (name: string, body: unknown, status: number, code: string, field?: string): Case => ({
  name,
  path: '/rerank',
  body,
  status,
  expect: { native: code, field },
});
const tei = (name: string, body: unknown, status: number, errorType: string, code?: string): Case => ({
  name,
  path: '/rerank',
  body,
  status,
  expect: { tei: errorType, code },
});
const cohere = (
  name: string,
  body: unknown,
  status: number,
  code: string,
  field?: string,
  path = '/v1/rerank',
): Case => ({
  name,
  path,
  body,
  status,
  expect: { cohere: code, field },
});

const many = Array.from({ length: MAX_DOCS + 1 }, (_, i) => `document ${i}`);
const oversized = 'x'.repeat(LIMIT + 10);

const CASES: Case[] = [
  native('malformed JSON', '{"query": "a", "documents": [', 400, 'INVALID_JSON'),
  native('a JSON array body', '[1, 2]', 422, 'INVALID_INPUT'),
  native('a JSON string body (strict JSON)', '"rerank this"', 400, 'INVALID_JSON'),
  native('an empty body', '', 422, 'INVALID_INPUT', 'query'),
  native('missing query', { documents: DOCS }, 422, 'INVALID_INPUT', 'query'),
  native('numeric query', { query: 42, documents: DOCS }, 422, 'INVALID_INPUT', 'query'),
  native('null query', { query: null, documents: DOCS }, 422, 'INVALID_INPUT', 'query'),
  native('array query', { query: ['a'], documents: DOCS }, 422, 'INVALID_INPUT', 'query'),
  native('empty query', { query: '', documents: DOCS }, 422, 'INVALID_INPUT', 'query'),
  native('blank query', { query: '  \n ', documents: DOCS }, 422, 'INVALID_INPUT', 'query'),
  native('missing documents', { query: QUERY }, 422, 'INVALID_INPUT', 'documents'),
  native('documents as a string', { query: QUERY, documents: 'abc' }, 422, 'INVALID_INPUT', 'documents'),
  native('a numeric document', { query: QUERY, documents: ['a', 1] }, 422, 'INVALID_INPUT', 'documents[1]'),
  native('a null document', { query: QUERY, documents: [null] }, 422, 'INVALID_INPUT', 'documents[0]'),
  native(
    'an object without text',
    { query: QUERY, documents: [{ title: 'x' }] },
    422,
    'INVALID_INPUT',
    'documents[0]',
  ),
  native('top_k as a string', { query: QUERY, documents: DOCS, top_k: '3' }, 422, 'INVALID_INPUT', 'top_k'),
  native('fractional top_k', { query: QUERY, documents: DOCS, top_k: 1.5 }, 422, 'INVALID_INPUT', 'top_k'),
  native(
    'return_documents as a string',
    { query: QUERY, documents: DOCS, return_documents: 'yes' },
    422,
    'INVALID_INPUT',
    'return_documents',
  ),
  native('too many documents', { query: QUERY, documents: many }, 413, 'TOO_MANY_DOCUMENTS', 'documents'),
  native('a body over BODY_LIMIT', { query: QUERY, documents: [oversized] }, 413, 'PAYLOAD_TOO_LARGE'),
  {
    ...native(
      'a charset other than UTF-8',
      JSON.stringify({ query: QUERY, documents: DOCS }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ),
    headers: { 'content-type': 'application/json; charset=latin1' },
  },
  tei('empty texts', { query: QUERY, texts: [] }, 400, 'Empty', 'EMPTY'),
  tei('texts as a string', { query: QUERY, texts: 'abc' }, 422, 'Validation'),
  tei('a numeric text', { query: QUERY, texts: ['a', 2] }, 422, 'Validation'),
  tei('missing query', { texts: DOCS }, 422, 'Validation'),
  tei('raw_scores as a string', { query: QUERY, texts: DOCS, raw_scores: 'true' }, 422, 'Validation'),
  tei(
    'an unknown truncation_direction',
    { query: QUERY, texts: DOCS, truncation_direction: 'up' },
    422,
    'Validation',
  ),
  tei('too many texts', { query: QUERY, texts: many }, 422, 'Validation', 'TOO_MANY_DOCUMENTS'),
  tei('malformed JSON with texts', '{"query": "a", "texts": [1,', 400, 'Validation', 'INVALID_JSON'),
  cohere('malformed JSON', '{"query": ', 400, 'INVALID_JSON'),
  cohere('negative top_n', { query: QUERY, documents: DOCS, top_n: -1 }, 400, 'INVALID_INPUT', 'top_n'),
  cohere('zero top_n', { query: QUERY, documents: DOCS, top_n: 0 }, 400, 'INVALID_INPUT', 'top_n'),
  cohere('fractional top_n', { query: QUERY, documents: DOCS, top_n: 2.5 }, 400, 'INVALID_INPUT', 'top_n'),
  cohere(
    'an unknown model (strict)',
    { model: 'rerank-v3.5', query: QUERY, documents: DOCS },
    404,
    'MODEL_NOT_FOUND',
    'model',
  ),
  cohere('a numeric model', { model: 5, query: QUERY, documents: DOCS }, 400, 'INVALID_INPUT', 'model'),
  cohere(
    'an object without text',
    { query: QUERY, documents: [{ id: 1 }] },
    400,
    'INVALID_INPUT',
    'documents[0]',
  ),
  cohere(
    'rank_fields none present',
    { query: QUERY, documents: [{ a: 'x' }], rank_fields: ['b'] },
    400,
    'INVALID_INPUT',
    'documents[0]',
  ),
  cohere(
    'zero max_chunks_per_doc',
    { query: QUERY, documents: DOCS, max_chunks_per_doc: 0 },
    400,
    'INVALID_INPUT',
    'max_chunks_per_doc',
  ),
  cohere(
    'negative max_tokens_per_doc',
    { query: QUERY, documents: DOCS, max_tokens_per_doc: -5 },
    400,
    'INVALID_INPUT',
    'max_tokens_per_doc',
    '/v2/rerank',
  ),
  cohere('empty query', { query: '', documents: DOCS }, 400, 'INVALID_INPUT', 'query', '/v2/rerank'),
  cohere('documents as an object', { query: QUERY, documents: { a: 1 } }, 400, 'INVALID_INPUT', 'documents'),
  cohere(
    'too many documents',
    { query: QUERY, documents: many },
    413,
    'TOO_MANY_DOCUMENTS',
    'documents',
    '/v2/rerank',
  ),
  cohere(
    'a body over BODY_LIMIT',
    { query: QUERY, documents: [oversized] },
    413,
    'PAYLOAD_TOO_LARGE',
    undefined,
    '/v2/rerank',
  ),
];

describe('bad inputs get the right status and error shape, never a 500', () => {
  it('has at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('$name on $path -> $status', async ({ path, body, status, expect: want, headers }) => {
    const res = await post(`${t.url}${path}`, body, headers);
    expect(res.status).toBe(status);
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |\.ts:\d+/); // no stack traces
    checkShape(res.body, want);
  });

  it('still serves afterwards, and accepts huge but valid inputs', async () => {
    const hugeQuery = 'solar '.repeat(8000); // within BODY_LIMIT; the engine cuts it to its query budget
    const huge = await post(`${t.url}/rerank`, { query: hugeQuery, documents: DOCS });
    expect(huge.status).toBe(200);
    const topN = await post(`${t.url}/v1/rerank`, { query: QUERY, documents: DOCS, top_n: 1e9 });
    expect(topN.body.results).toHaveLength(DOCS.length);
    // JSON sent as text/plain is refused (content-types.test.ts); without a Content-Type it is JSON.
    const untyped = await fetch(`${t.url}/rerank`, {
      method: 'POST',
      body: new TextEncoder().encode(JSON.stringify({ query: QUERY, documents: DOCS })),
    });
    expect(untyped.status).toBe(200);
    expect(((await untyped.json()) as Json).results).toHaveLength(DOCS.length);
    const health = await fetch(`${t.url}/health`);
    expect(health.status).toBe(200);
  });
});

function checkShape(body: Json, want: Expect): void {
  if ('native' in want) {
    expect(body.error.code).toBe(want.native);
    expect(typeof body.error.message).toBe('string');
    expect(body.detail).toBe(body.error.message);
    if (want.field) expect(body.error.field).toBe(want.field);
  } else if ('tei' in want) {
    expect(Object.keys(body).sort()).toEqual(['error', 'error_type']);
    expect(body.error_type).toBe(want.tei);
    expect(typeof body.error).toBe('string');
  } else {
    expect(body.code).toBe(want.cohere);
    expect(typeof body.message).toBe('string');
    if (want.field) expect(body.field).toBe(want.field);
  }
}
