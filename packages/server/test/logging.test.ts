import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, post, QUERY, startServer, type TestServer } from './helpers';

const lines: Record<string, unknown>[] = [];
let t: TestServer;

beforeAll(async () => {
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  t = await startServer({ logger });
});
afterAll(() => t.close());

describe('request logs', () => {
  it('write one line per request with id, route, status, documents, queue and inference ms', async () => {
    await post(`${t.url}/v1/rerank`, { query: QUERY, documents: DOCS }, { 'x-request-id': 'req-42' });
    const mine = lines.filter((line) => line.reqId === 'req-42');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      req: { method: 'POST', url: '/v1/rerank' },
      responseTime: expect.any(Number),
      msg: 'POST /v1/rerank 200',
      route: '/v1/rerank',
      flavour: 'cohere',
      documents: DOCS.length,
      res: { statusCode: 200 },
      queue_ms: expect.any(Number),
      inference_ms: expect.any(Number),
    });
  });

  it('log refused requests with their error code', async () => {
    await post(`${t.url}/rerank`, { query: '', documents: DOCS }, { 'x-request-id': 'req-43' });
    const [line] = lines.filter((l) => l.reqId === 'req-43');
    expect(line).toMatchObject({
      route: '/rerank',
      error_code: 'INVALID_INPUT',
      res: { statusCode: 422 },
      level: 40,
    });
  });
});
