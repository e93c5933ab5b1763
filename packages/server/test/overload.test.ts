import { afterEach, describe, expect, it } from 'vitest';
import { get, post, QUERY, startServer, type TestServer, until } from './helpers';

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

// Distinct documents per request: identical pairs in flight are shared, not queued twice.
const docs = (tag: string) => [`${tag} one`, `${tag} two`];

/** A server with one slot, held busy by a first request whose batch is blocked in the backend. */
async function busyServer(engine: Record<string, number> = {}, route = '/rerank') {
  const server = await startServer({ engine: { maxParallel: 1, maxQueue: 1, ...engine } });
  t = server;
  server.probe.hold();
  const started = server.probe.started();
  const running = post(`${server.url}${route}`, { query: QUERY, documents: docs('running') });
  await started;
  return { server, running };
}

describe('overload', () => {
  it('a full queue answers 503 with Retry-After in every flavour while /health still answers', async () => {
    const { server, running } = await busyServer();
    const waiting = post(`${server.url}/rerank`, { query: QUERY, documents: docs('waiting') });
    await until(() => server.reranker.stats().controller.waiting === 1, 'the second request to queue');

    const native = await post(`${server.url}/rerank`, { query: QUERY, documents: docs('refused') });
    expect(native.status).toBe(503);
    expect(native.headers.get('retry-after')).toBe('1');
    expect(native.body.error.code).toBe('QUEUE_FULL');
    const tei = await post(`${server.url}/rerank`, { query: QUERY, texts: docs('refused') });
    expect([tei.status, tei.body.error_type]).toEqual([503, 'Overloaded']);
    const cohere = await post(`${server.url}/v2/rerank`, { query: QUERY, documents: docs('refused') });
    expect([cohere.status, cohere.body.code, cohere.headers.get('retry-after')]).toEqual([
      503,
      'QUEUE_FULL',
      '1',
    ]);

    // The issue asks for 50 ms; asserted generously (500 ms) so a loaded CI machine does not flake.
    const before = performance.now();
    const health = await get(`${server.url}/health`);
    expect(performance.now() - before).toBeLessThan(500);
    expect(health.status).toBe(200);
    expect(health.body.controller).toMatchObject({ waiting: 1, active: 1, available_slots: 0 });

    server.probe.release();
    expect((await running).status).toBe(200);
    expect((await waiting).status).toBe(200);
    const prom = await get(`${server.url}/metrics/prometheus`);
    expect(prom.body).toMatch(
      /reranker_http_requests_total\{route="\/rerank",method="POST",status="503"\} 2/,
    );
  });

  it('a client that disconnects while queued frees its place and is never computed', async () => {
    const { server, running } = await busyServer();
    const abort = new AbortController();
    const queued = fetch(`${server.url}/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, documents: docs('abandoned') }),
      signal: abort.signal,
    }).catch((error: unknown) => error);
    await until(() => server.reranker.stats().controller.waiting === 1, 'the request to queue');
    abort.abort();
    await until(() => server.reranker.stats().controller.waiting === 0, 'the abandoned request to leave');
    expect(await queued).toBeInstanceOf(Error);

    // Its place is free again: a new request queues instead of being refused.
    const next = post(`${server.url}/rerank`, { query: QUERY, documents: docs('next') });
    await until(() => server.reranker.stats().controller.waiting === 1, 'the next request to queue');
    server.probe.release();
    expect((await running).status).toBe(200);
    expect((await next).status).toBe(200);
    // Two requests of two documents ran; the abandoned one never reached the backend.
    expect(server.probe.rows).toBe(4);
    expect(server.reranker.stats().metrics.errors_by_code).toEqual({ ABORTED: 1 });
  });

  it('a queue timeout is 503 with Retry-After and an inference timeout is 504', async () => {
    const { server, running } = await busyServer({ queueTimeoutMs: 200, workerTimeoutMs: 600 }, '/v1/rerank');
    const waiting = await post(`${server.url}/rerank`, { query: QUERY, texts: docs('late') });
    expect([waiting.status, waiting.body.error_type, waiting.headers.get('retry-after')]).toEqual([
      503,
      'Overloaded',
      '1',
    ]);
    const slow = await running;
    expect([slow.status, slow.body.code]).toEqual([504, 'TIMEOUT']);
    server.probe.release();
  });
});
