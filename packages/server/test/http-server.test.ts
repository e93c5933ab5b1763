import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../src/config';
import { expectError, type Shape } from './flavour-shapes';
import { DOCS, get, type Json, post, QUERY, startServer, type TestServer } from './helpers';

// Issue 13 item 9: what Node's HTTP parser refuses is answered in JSON, and slow headers and slow
// uploads are cut with 408 (REQUEST_TIMEOUT_MS, HEADERS_TIMEOUT_MS), all checked over raw sockets.

const REQUEST_TIMEOUT_MS = 1200;
const HEADERS_TIMEOUT_MS = 600;
let t: TestServer;
let port: number;

beforeAll(async () => {
  t = await startServer({
    config: { requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: HEADERS_TIMEOUT_MS },
  });
  port = Number(new URL(t.url).port);
});
afterAll(() => t.close());

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Json;
  /** Milliseconds from the first byte sent to the connection's end. */
  ms: number;
  /** Everything the server sent. */
  raw: string;
}

/**
 * Sends `parts` over a new connection (a number waits that many ms), then reads until the server
 * closes the connection, and parses the one response it sent.
 */
function raw(...parts: Array<string | Buffer | number>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const started = performance.now();
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer; got ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, 10_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset after the answer: what was read counts
    socket.on('close', () => {
      clearTimeout(giveUp);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      let body: Json = rest.join('\r\n\r\n');
      try {
        body = JSON.parse(body);
      } catch {}
      const ms = performance.now() - started;
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, ms, raw: text });
    });
    socket.once('connect', async () => {
      for (const part of parts) {
        if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
        else if (!socket.destroyed) socket.write(part);
      }
    });
  });
}

const head = (path: string, ...lines: string[]) =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${lines.map((l) => `${l}\r\n`).join('')}\r\n`;

function expectJsonError(res: RawResponse, status: number, shape: Shape, code: string, teiType?: string) {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers.connection).toBe('close');
  expectError(res, status, shape, code, teiType);
}

describe('errors of the HTTP parser are JSON', () => {
  it('a bad request line -> 400', async () => {
    expectJsonError(await raw('GARBAGE\r\n\r\n'), 400, 'native', 'MALFORMED_REQUEST');
    expectJsonError(await raw('GET /health HTTP/9.9\r\n\r\n'), 400, 'native', 'MALFORMED_REQUEST');
  });

  it('a duplicate Content-Length -> 400, in the flavour of the path', async () => {
    const res = await raw(`${head('/v1/rerank', 'Content-Length: 2', 'Content-Length: 3')}{}`);
    expectJsonError(res, 400, 'cohere', 'MALFORMED_REQUEST');
    expect(res.body.message).toMatch(/Content-Length/i);
  });

  it('Content-Length with Transfer-Encoding: chunked -> 400 (request smuggling)', async () => {
    const res = await raw(`${head('/rerank', 'Content-Length: 4', 'Transfer-Encoding: chunked')}0\r\n\r\n`);
    expectJsonError(res, 400, 'native', 'MALFORMED_REQUEST');
  });

  it('headers over 16 KiB -> 431', async () => {
    const res = await raw(head('/rerank', `X-Big: ${'a'.repeat(20_000)}`, 'Content-Length: 2'), '{}');
    expectJsonError(res, 431, 'native', 'HEADERS_TOO_LARGE');
  });

  it('a malformed chunked body -> 400, in the flavour the body so far shows', async () => {
    const start = '{"query": "a", "texts": ["b"';
    const chunked = head('/rerank', 'Transfer-Encoding: chunked');
    const res = await raw(chunked, `${start.length.toString(16)}\r\n${start}\r\n`, 50, 'zz\r\nbroken\r\n');
    expectJsonError(res, 400, 'tei', 'MALFORMED_REQUEST');
  });
});

describe('timeouts', () => {
  it('slow headers are cut with 408 after HEADERS_TIMEOUT_MS', async () => {
    const res = await raw('POST /rerank HTTP/1.1\r\nHost: localhost\r\n');
    expectJsonError(res, 408, 'native', 'REQUEST_TIMEOUT');
    expect(res.body.error.message).toContain('HEADERS_TIMEOUT_MS');
    expect(res.ms).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
  });

  it('a half-sent body is cut with 408 after REQUEST_TIMEOUT_MS, in its flavour', async () => {
    const body = JSON.stringify({ query: QUERY, documents: DOCS });
    const cohere = await raw(`${head('/v2/rerank', `Content-Length: ${body.length}`)}${body.slice(0, 10)}`);
    expectJsonError(cohere, 408, 'cohere', 'REQUEST_TIMEOUT');
    expect(cohere.body.message).toContain('REQUEST_TIMEOUT_MS');
    expect(cohere.ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);

    const tei = JSON.stringify({ texts: DOCS, query: QUERY });
    const slow = await raw(
      `${head('/rerank', `Content-Length: ${tei.length}`)}${tei.slice(0, 30)}`,
      300,
      'x',
    );
    expectJsonError(slow, 408, 'tei', 'REQUEST_TIMEOUT');
  });

  it('a body trickling in, byte after byte, is cut too', async () => {
    const body = JSON.stringify({ query: QUERY, documents: DOCS });
    const trickle = [...body].flatMap((c) => [c, 100]);
    const res = await raw(head('/rerank', `Content-Length: ${body.length}`), ...trickle);
    expectJsonError(res, 408, 'native', 'REQUEST_TIMEOUT');
    expect(res.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
  });

  it('cut a client that goes on slowly sending a body refused at once, without a second answer', async () => {
    // Small enough to be read and discarded after the answer (keep-alive), so the timeout cuts it.
    const res = await raw(
      head('/v1/rerank', 'Content-Length: 100000').replace('application/json', 'text/plain'),
      '{"query": "a"',
      ...Array.from({ length: 40 }, () => [100, 'x'] as const).flat(),
    );
    expect(res.status).toBe(415);
    expect(res.raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(res.ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(res.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
  });

  it('close at once on a client slowly sending a large body refused at once, with one answer', async () => {
    const res = await raw(
      head('/v1/rerank', 'Content-Length: 1000000').replace('application/json', 'text/plain'),
      '{"query": "a"',
      ...Array.from({ length: 40 }, () => [100, 'x'] as const).flat(),
    );
    expect(res.status).toBe(415);
    expect(res.raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(res.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    // The rest of the body is neither waited for nor read: the connection ends after the answer.
    expect(res.headers.connection).toBe('close');
    expect(res.ms).toBeLessThan(REQUEST_TIMEOUT_MS);
  });

  it('answer a slow request on a connection that already served one', async () => {
    const body = JSON.stringify({ query: QUERY, documents: DOCS });
    const first = `${head('/rerank', `Content-Length: ${body.length}`)}${body}`;
    const res = await raw(first, 300, `${head('/v2/rerank', `Content-Length: ${body.length}`)}{"query"`);
    // The socket carried the first answer (200), then the second request's 408 in its flavour.
    expect(res.status).toBe(200);
    expect(res.raw).toMatch(/HTTP\/1\.1 408 Request Timeout[\s\S]*"code":"REQUEST_TIMEOUT"/);
  });

  it('do not cut a request whose body arrived and whose inference is slow', async () => {
    t.probe.hold();
    const started = t.probe.started();
    const slow = post(`${t.url}/rerank`, { query: QUERY, documents: ['held one', 'held two'] });
    await started;
    await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS + 500));
    t.probe.release();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(2);
  });

  it('leave the server serving', async () => {
    expect((await get(`${t.url}/health`)).status).toBe(200);
    expect((await post(`${t.url}/rerank`, { query: QUERY, documents: DOCS })).status).toBe(200);
  });

  it('are read from REQUEST_TIMEOUT_MS and HEADERS_TIMEOUT_MS, headers at most the request', () => {
    expect(loadServerConfig({})).toMatchObject({ requestTimeoutMs: 60_000, headersTimeoutMs: 10_000 });
    const set = loadServerConfig({ REQUEST_TIMEOUT_MS: '30000', HEADERS_TIMEOUT_MS: '5000' });
    expect(set).toMatchObject({ requestTimeoutMs: 30_000, headersTimeoutMs: 5000 });
    expect(() => loadServerConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '6000' })).toThrow(
      /HEADERS_TIMEOUT_MS="6000".*at most REQUEST_TIMEOUT_MS/,
    );
    expect(() => loadServerConfig({ REQUEST_TIMEOUT_MS: '10' })).toThrow(/REQUEST_TIMEOUT_MS="10"/);
  });
});
