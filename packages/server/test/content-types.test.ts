import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, type Shape } from './flavour-shapes';
import { DOCS, type Json, QUERY, startServer, type TestServer } from './helpers';

// Issue 13 items 10 (content types) and 7b (content encodings).

const LIMIT = 64 * 1024;
let t: TestServer;

beforeAll(async () => {
  t = await startServer({ config: { bodyLimitBytes: LIMIT } });
});
afterAll(() => t.close());

async function send(
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${t.url}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

const SPEAKERS: Array<{ name: string; path: string; shape: Shape; body: string }> = [
  {
    name: 'native',
    path: '/rerank',
    shape: 'native',
    body: JSON.stringify({ query: QUERY, documents: DOCS }),
  },
  { name: 'TEI', path: '/rerank', shape: 'tei', body: JSON.stringify({ query: QUERY, texts: DOCS }) },
  {
    name: 'Cohere on /rerank',
    path: '/rerank',
    shape: 'cohere',
    body: JSON.stringify({ model: 'm', query: QUERY, documents: DOCS }),
  },
  {
    name: 'Cohere v2',
    path: '/v2/rerank',
    shape: 'cohere',
    body: JSON.stringify({ query: QUERY, documents: DOCS }),
  },
];

describe.each(SPEAKERS)('Content-Type, $name', ({ path, shape, body }) => {
  it.each([
    'text/plain',
    'text/plain;charset=UTF-8', // what fetch() sends for a string body without headers
    'application/x-www-form-urlencoded', // curl -d, HTML forms
    'multipart/form-data; boundary=x',
    'application/xml',
    'text/xml',
    'application/jsonx',
    'json',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; charset=', // not a valid media type
  ])('%s -> 415', async (type) => {
    expectError(await send(path, body, { 'content-type': type }), 415, shape, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    'application/json',
    'Application/JSON',
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'application/json; charset=utf8',
    'application/vnd.api+json',
    'application/problem+json; charset=utf-8',
  ])('%s is JSON', async (type) => {
    expect((await send(path, body, { 'content-type': type })).status).toBe(200);
  });

  it('no Content-Type at all is read as JSON (the FastAPI original did; Python requests data=)', async () => {
    expect((await send(path, new TextEncoder().encode(body), {})).status).toBe(200);
  });
});

describe.each(SPEAKERS)('Content-Encoding, $name', ({ path, shape, body }) => {
  const json = { 'content-type': 'application/json' };

  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
    ['GZIP', gzipSync],
    ['identity', (b: Buffer) => b],
  ] as const)('%s bodies are decoded', async (coding, compress) => {
    const res = await send(path, compress(Buffer.from(body)), { ...json, 'content-encoding': coding });
    expect(res.status).toBe(200);
  });

  it.each(['gzip', 'deflate', 'br'])(
    'a body that is not %s as labelled -> 400 INVALID_ENCODING',
    async (coding) => {
      const res = await send(path, body, { ...json, 'content-encoding': coding });
      expectError(res, 400, shape, 'INVALID_ENCODING');
    },
  );

  it('a gzip body cut short -> 400 INVALID_ENCODING', async () => {
    const whole = gzipSync(Buffer.from(body));
    const res = await send(path, whole.subarray(0, whole.length - 12), {
      ...json,
      'content-encoding': 'gzip',
    });
    expectError(res, 400, shape, 'INVALID_ENCODING');
  });

  it.each(['compress', 'zstd', 'gzip, br', 'unknown'])('%s -> 415', async (coding) => {
    const res = await send(path, body, { ...json, 'content-encoding': coding });
    expectError(res, 415, shape, 'UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('decompressed size', () => {
  it('counts against BODY_LIMIT: a gzip bomb is refused with 413 once it inflates past it', async () => {
    // 32 MiB of spaces inside a valid body compress to about 32 KiB... of which only the start is inflated.
    const bomb = gzipSync(
      Buffer.concat([Buffer.from('{"query": "a", "texts": ["'), Buffer.alloc(32 << 20, 0x20)]),
    );
    expect(bomb.length).toBeLessThan(LIMIT);
    const res = await send('/rerank', bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expectError(res, 413, 'tei', 'PAYLOAD_TOO_LARGE');
    expect(res.body.error).toMatch(/once decompressed/);
  });

  it('a compressed body within the limit once inflated is served', async () => {
    const documents = Array.from({ length: 20 }, (_, i) => `${'solar panels '.repeat(150)} ${i}`);
    const raw = Buffer.from(JSON.stringify({ query: QUERY, documents }));
    expect(raw.length).toBeLessThan(LIMIT);
    const res = await send('/rerank', gzipSync(raw), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(20);
  });
});
