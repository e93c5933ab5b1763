import { type ClientRequest, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from './flavour-shapes';
import { type Json, post, QUERY, startServer, type TestServer, until } from './helpers';

// Issue 13 item 6: the queue is asked before a body is read, and the requests already admitted but
// still on their way to the queue (uploading, parsing) count as queued.

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** A POST whose body is sent in two halves: the second only on `finish()`. */
function halfSent(url: string, body: unknown): { finish(): Promise<{ status: number; body: Json }> } {
  const bytes = Buffer.from(JSON.stringify(body));
  let req!: ClientRequest;
  const answer = new Promise<{ status: number; body: Json }>((resolve, reject) => {
    req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': bytes.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on('error', reject);
  });
  req.write(bytes.subarray(0, bytes.length >> 1));
  return {
    finish() {
      req.end(bytes.subarray(bytes.length >> 1));
      return answer;
    },
  };
}

const docs = (tag: string) => [`${tag} one`, `${tag} two`];

describe('admission before the body', () => {
  it('counts an admitted upload as queued: the next request is refused before the queue sees either', async () => {
    const server = await startServer({ engine: { maxParallel: 1, maxQueue: 1 } });
    t = server;
    server.probe.hold();
    const started = server.probe.started();
    const running = post(`${server.url}/rerank`, { query: QUERY, documents: docs('running') });
    await started;

    const upload = halfSent(`${server.url}/v1/rerank`, { query: QUERY, documents: docs('uploading') });
    await new Promise((r) => setTimeout(r, 100)); // its headers are in, its body is not
    expect(server.reranker.stats().controller).toMatchObject({ active: 1, waiting: 0 });

    const refused = await post(`${server.url}/rerank`, { query: QUERY, texts: docs('refused') });
    expectError(refused, 503, 'tei', 'QUEUE_FULL', 'Overloaded');
    expect(refused.headers.get('retry-after')).toBe('1');

    const queued = upload.finish();
    await until(() => server.reranker.stats().controller.waiting === 1, 'the upload to queue');
    server.probe.release();
    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
  });

  it('refuses without waiting for the body: /v1 before any byte of it, /rerank after 64 KiB at most', async () => {
    const server = await startServer({ engine: { maxParallel: 1, maxQueue: 0 } });
    t = server;
    server.probe.hold();
    const started = server.probe.started();
    const running = post(`${server.url}/rerank`, { query: QUERY, documents: docs('running') });
    await started;

    const port = Number(new URL(server.url).port);
    const headers = (path: string) =>
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n`;
    // The rest of these bodies never comes: an answer can only come from the headers (and a peek).
    const cohere = await firstResponse(port, headers('/v1/rerank'));
    expect(cohere).toMatch(/^HTTP\/1\.1 503 [\s\S]*retry-after: 1[\s\S]*"code":"QUEUE_FULL"/i);
    const start = `{"query": "q", "texts": ["${'x'.repeat(70_000)}`;
    const tei = await firstResponse(port, headers('/rerank') + start);
    expect(tei).toMatch(/^HTTP\/1\.1 503 [\s\S]*"error_type":"Overloaded"/);

    server.probe.release();
    expect((await running).status).toBe(200);
  });

  it('closes the connection of a large refused body without reading it; a small one keeps it', async () => {
    const server = await startServer({
      engine: { maxParallel: 1, maxQueue: 0 },
      config: { bodyLimitBytes: 8 * 1024 * 1024 },
    });
    t = server;
    server.probe.hold();
    const started = server.probe.started();
    const running = post(`${server.url}/rerank`, { query: QUERY, documents: docs('running') });
    await started;
    // What the server read of each connection, once it is closed.
    const read = new Map<string, number>();
    server.server.on('connection', (socket) => {
      const peer = String(socket.remotePort);
      socket.once('close', () => read.set(peer, socket.bytesRead));
    });
    const port = Number(new URL(server.url).port);
    const big = (path: string, key: string) => {
      const body = `{"query": "q", "${key}": ["${'x'.repeat(6 * 1024 * 1024)}"]}`;
      return `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    };
    for (const [path, key, shape] of [
      ['/v1/rerank', 'documents', /"code":"QUEUE_FULL"/],
      ['/rerank', 'texts', /"error_type":"Overloaded"/],
    ] as const) {
      // The client sends its whole 6 MB body and still gets the answer, whole.
      const { text, localPort } = await untilClosed(port, [big(path, key)]);
      expect(text).toMatch(/^HTTP\/1\.1 503 [\s\S]*retry-after: 1/i);
      expect(text).toMatch(/connection: close/i);
      expect(text).toMatch(shape);
      await until(() => read.has(String(localPort)), 'the server to close the connection');
      // The headers, at most a 64 KiB peek and the reads in flight: far from the 6 MB sent.
      expect(read.get(String(localPort))).toBeLessThan(512 * 1024);
    }
    // A small refused body is read and discarded: the connection carries the next request.
    const small = JSON.stringify({ query: QUERY, documents: docs('small') });
    const { text } = await untilClosed(port, [
      `POST /v2/rerank HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${small.length}\r\n\r\n${small}`,
      'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ]);
    expect(text).toMatch(/^HTTP\/1\.1 503 [\s\S]*"code":"QUEUE_FULL"[\s\S]*HTTP\/1\.1 200 /);
    expect(text.split('HTTP/1.1 503')[1]!.split('HTTP/1.1 200')[0]).not.toMatch(/connection: close/i);

    server.probe.release();
    expect((await running).status).toBe(200);
  });

  it('never refuses while a slot is free, so slow uploads cannot lock out an idle server', async () => {
    const server = await startServer({ engine: { maxParallel: 1, maxQueue: 1 } });
    t = server;
    const uploads = [1, 2, 3].map((i) =>
      halfSent(`${server.url}/rerank`, { query: QUERY, documents: docs(`slow ${i}`) }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const served = await post(`${server.url}/rerank`, { query: QUERY, documents: docs('quick') });
    expect(served.status).toBe(200);
    for (const upload of uploads) expect([200, 503]).toContain((await upload.finish()).status);
  });

  it('answers 503 while draining before reading the body', async () => {
    const server = await startServer();
    t = server;
    server.app.service.beginShutdown();
    const res = await post(`${server.url}/v2/rerank`, { query: QUERY, documents: docs('late') });
    expectError(res, 503, 'cohere', 'SHUTTING_DOWN');
  });
});

/** Sends `bytes` and resolves with what the server sent first, keeping the connection open. */
function firstResponse(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    socket.once('data', (data: Buffer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data.toString());
    });
    socket.on('error', reject);
  });
}

/** Sends `requests` on one connection and resolves with all the server sent, once it closed it. */
function untilClosed(port: number, requests: string[]): Promise<{ text: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      for (const request of requests) socket.write(request);
    });
    const timer = setTimeout(() => reject(new Error('not closed within 5 s')), 5000);
    const localPort = new Promise<number>((r) => socket.once('connect', () => r(socket.localPort!)));
    socket.on('data', (data: Buffer) => chunks.push(data));
    // A reset once the answer is in (the rest of a large body was not read): what arrived counts.
    socket.on('error', () => {});
    socket.once('close', async () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString(), localPort: await localPort });
    });
  });
}
