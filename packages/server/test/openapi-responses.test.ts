// Real answers of a running server (tiny synthesized model) validated with strict ajv against the
// schema /openapi.json documents for their route and status: each API shape's 200, and real errors
// (401 with API_KEYS, 413, 415, 422/400, 404, 503 while loading).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { serverConfig } from '../src/config';
import {
  DOCS,
  get,
  type Json,
  OPERATIONS_PATHS,
  post,
  QUERY,
  silentPino,
  startServer,
  type TestServer,
} from './helpers';
import { compileFromDoc, type Doc, responseSchema, strictAjv } from './openapi/spec';

const KEY = 'openapi-test-key';
const AUTH = { authorization: `Bearer ${KEY}` };
const ALIASES = ['rerank-v3.5', 'jina-reranker-v2-base-multilingual'];
const ajv = strictAjv();

type Answer = { status: number; headers: Headers; body: Json };

/** Asserts `answer` is what the document says `method path` answers with its status. */
function expectDocumented(doc: Doc, method: string, path: string, answer: Answer): void {
  const type = (answer.headers.get('content-type') ?? '').split(';')[0]!.trim();
  const documentedType = type === 'text/plain' ? 'text/plain' : 'application/json';
  expect(type, `${method} ${path} ${answer.status}`).toBe(documentedType);
  const validate = compileFromDoc(ajv, doc, responseSchema(doc, method, path, answer.status, documentedType));
  const ok = validate(answer.body);
  expect(
    ok,
    `${method} ${path} ${answer.status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.body)}`,
  ).toBe(true);
}

describe('OpenAPI: real responses match the documented schemas', () => {
  let t: TestServer;
  let doc: Doc;
  const seen = new Set<string>();
  const send = async (path: string, body: unknown, headers: Record<string, string> = AUTH) => {
    const answer = await post(`${t.url}${path}`, body, headers);
    expectDocumented(doc, 'post', path, answer);
    seen.add(`${path} ${answer.status}`);
    return answer;
  };
  const fetchGet = async (path: string, headers: Record<string, string> = AUTH) => {
    const answer = await get(`${t.url}${path}`, headers);
    expectDocumented(doc, 'get', path, answer);
    seen.add(`${path} ${answer.status}`);
    return answer;
  };

  beforeAll(async () => {
    t = await startServer({
      config: {
        apiKeys: [KEY],
        metricsRequireAuth: true,
        bodyLimitBytes: 4096,
        maxDocumentsPerRequest: 8,
        modelAliases: ALIASES,
        strictModelNames: true,
      },
    });
    doc = (await get(`${t.url}/openapi.json`, AUTH)).body;
  });
  afterAll(() => t?.close());

  it('200 for every API shape on every rerank route', async () => {
    const objects = DOCS.map((text, i) => ({ title: `doc ${i}`, text }));
    expect((await send('/rerank', { query: QUERY, documents: DOCS })).body.results).toHaveLength(DOCS.length);
    await send('/rerank', { query: QUERY, documents: objects, top_k: 2, return_documents: true });
    await send('/rerank', { query: QUERY, documents: DOCS, return_documents: false, top_k: null });
    expect(Array.isArray((await send('/rerank', { query: QUERY, texts: DOCS })).body)).toBe(true);
    await send('/rerank', { query: QUERY, texts: DOCS, raw_scores: true, return_text: true, truncate: true });
    const cohere = await send('/rerank', { query: QUERY, documents: DOCS, top_n: 3 });
    expect(cohere.body.meta.api_version.version).toBe('1');
    await send('/rerank', {
      model: ALIASES[1],
      query: QUERY,
      documents: DOCS,
      top_n: 2,
      return_documents: true,
    });
    for (const path of ['/v1/rerank', '/v2/rerank']) {
      await send(path, { model: ALIASES[0], query: QUERY, documents: DOCS, top_n: 2 });
      await send(path, {
        query: QUERY,
        documents: objects,
        rank_fields: ['title', 'text'],
        return_documents: true,
      });
      await send(path, { model: ALIASES[1], query: QUERY, documents: DOCS, return_documents: false });
    }
  });

  it('401 without or with a wrong API key, on every route', async () => {
    const bodies = [
      { query: QUERY, documents: DOCS },
      { query: QUERY, texts: DOCS },
      { query: QUERY, documents: DOCS, top_n: 1 },
    ];
    for (const body of bodies) {
      expect((await send('/rerank', body, {})).status).toBe(401);
      expect((await send('/rerank', body, { authorization: 'Bearer wrong' })).status).toBe(401);
    }
    for (const path of ['/v1/rerank', '/v2/rerank'])
      expect((await send(path, bodies[0], {})).status).toBe(401);
    for (const path of OPERATIONS_PATHS) {
      expect((await fetchGet(path, {})).status).toBe(401);
    }
  });

  it('413 for a body over BODY_LIMIT or too many documents (TEI: 422)', async () => {
    const big = ['x'.repeat(5000)];
    expect((await send('/rerank', { query: QUERY, documents: big })).status).toBe(413);
    expect((await send('/rerank', { query: QUERY, texts: big })).status).toBe(413);
    expect((await send('/v1/rerank', { query: QUERY, documents: big })).status).toBe(413);
    const many = Array.from({ length: 9 }, (_, i) => `document ${i}`);
    expect((await send('/rerank', { query: QUERY, documents: many })).status).toBe(413);
    expect((await send('/rerank', { query: QUERY, texts: many })).status).toBe(422);
    expect((await send('/v2/rerank', { query: QUERY, documents: many })).status).toBe(413);
  });

  it('400 and 422 for invalid input, in each API', async () => {
    expect((await send('/rerank', { documents: DOCS })).status).toBe(422);
    expect((await send('/rerank', { query: QUERY, texts: [1, 2] })).status).toBe(422);
    expect((await send('/rerank', { query: QUERY, texts: [] })).status).toBe(400);
    expect((await send('/rerank', { query: QUERY, documents: DOCS, top_n: 0 })).status).toBe(400);
    expect((await send('/rerank', '{"query": ')).status).toBe(400);
    expect((await send('/v1/rerank', { query: QUERY })).status).toBe(400);
    expect((await send('/v2/rerank', '{"query": ')).status).toBe(400);
    const noText = { query: QUERY, documents: [{ title: 'no text' }] };
    expect((await send('/v1/rerank', noText)).status).toBe(400);
  });

  it('404 for an unknown model with STRICT_MODEL_NAMES, and outside distributed mode', async () => {
    expect((await send('/v1/rerank', { model: 'nope', query: QUERY, documents: DOCS })).status).toBe(404);
    expect((await send('/rerank', { model: 'nope', query: QUERY, documents: DOCS })).status).toBe(404);
    expect((await fetchGet('/cluster')).status).toBe(404);
    expect((await fetchGet('/metrics/cluster')).status).toBe(404);
  });

  it('415 for an unsupported Content-Encoding', async () => {
    const headers = { ...AUTH, 'content-encoding': 'x-unknown' };
    expect((await send('/rerank', { query: QUERY, documents: DOCS }, headers)).status).toBe(415);
    expect((await send('/v1/rerank', { query: QUERY, documents: DOCS }, headers)).status).toBe(415);
  });

  it('415 for a non-JSON Content-Type, 400 for a body that is not the gzip it claims, deep nesting refused', async () => {
    const form = { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' };
    expect((await send('/rerank', { query: QUERY, texts: DOCS }, form)).status).toBe(415);
    expect((await send('/v2/rerank', { query: QUERY, documents: DOCS }, form)).status).toBe(415);
    const gzip = { ...AUTH, 'content-encoding': 'gzip' };
    expect((await send('/rerank', { query: QUERY, documents: DOCS }, gzip)).status).toBe(400);
    expect((await send('/v1/rerank', { query: QUERY, documents: DOCS }, gzip)).status).toBe(400);
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    const nested = `{"query":"q","documents":[{"text":"t","meta":${deep}}]}`;
    expect((await send('/rerank', nested)).status).toBe(422);
    expect((await send('/v1/rerank', nested)).status).toBe(400);
  });

  it('200 from the operations routes (JSON and Prometheus text)', async () => {
    for (const path of OPERATIONS_PATHS) {
      expect((await fetchGet(path)).status).toBe(200);
    }
    const text = await get(`${t.url}/metrics`, { ...AUTH, accept: 'text/plain' });
    expectDocumented(doc, 'get', '/metrics', text);
  });

  it('covered every rerank route with success and errors', () => {
    for (const expected of [
      '/rerank 200',
      '/rerank 401',
      '/rerank 404',
      '/rerank 413',
      '/rerank 415',
      '/rerank 422',
    ]) {
      expect(seen).toContain(expected);
    }
    for (const expected of [
      '/v1/rerank 200',
      '/v1/rerank 400',
      '/v1/rerank 404',
      '/v2/rerank 200',
      '/v2/rerank 413',
    ]) {
      expect(seen).toContain(expected);
    }
  });
});

describe('OpenAPI: a server still loading answers as documented', () => {
  let server: Server;
  let url: string;
  let doc: Doc;

  beforeAll(async () => {
    const app = createApp({
      reranker: new Promise(() => {}),
      config: serverConfig({ warmupOnStart: false }),
      logger: silentPino(),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    doc = (await get(`${url}/openapi.json`)).body;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('503 on the rerank routes (each API), /health, /readyz, /info and /metrics', async () => {
    for (const [path, body] of [
      ['/rerank', { query: QUERY, documents: DOCS }],
      ['/rerank', { query: QUERY, texts: DOCS }],
      ['/rerank', { query: QUERY, documents: DOCS, top_n: 1 }],
      ['/v1/rerank', { query: QUERY, documents: DOCS }],
      ['/v2/rerank', { query: QUERY, documents: DOCS }],
    ] as const) {
      const answer = await post(`${url}${path}`, body);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expectDocumented(doc, 'post', path, answer);
    }
    for (const path of ['/health', '/readyz', '/info', '/metrics']) {
      const answer = await get(`${url}${path}`);
      expect(answer.status).toBe(503);
      expectDocumented(doc, 'get', path, answer);
    }
  });
});
