import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UnifiedReRanker } from '@reranker/core';
import { RerankerError } from '@reranker/core';
import { createReranker } from '@reranker/node';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type RerankerApp } from '../src/app';
import { serverConfig } from '../src/config';
import { toErrorResponse } from '../src/errors';
import { DOCS, get, post, QUERY, silentPino } from './helpers';

let reranker: UnifiedReRanker;
beforeAll(async () => {
  reranker = await createReranker({ model: await synthesizedModelDir('tiny'), env: {}, progress: 'none' });
});
afterAll(() => reranker.dispose());

async function listen(app: RerankerApp): Promise<{ url: string; server: Server }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('lifecycle', () => {
  it('answers "loading" until the model is there, then serves', async () => {
    let resolve!: (r: UnifiedReRanker) => void;
    const pending = new Promise<UnifiedReRanker>((r) => {
      resolve = r;
    });
    const app = createApp({ reranker: pending, config: serverConfig(), logger: silentPino() });
    const { url, server } = await listen(app);
    try {
      const health = await get(`${url}/health`);
      expect([health.status, health.body]).toEqual([
        503,
        { status: 'loading', controller: null, model: null },
      ]);
      expect((await get(`${url}/readyz`)).status).toBe(503);
      expect((await get(`${url}/healthz`)).status).toBe(200);
      const early = await post(`${url}/rerank`, { query: QUERY, texts: DOCS });
      expect([early.status, early.body.error_type, early.headers.get('retry-after')]).toEqual([
        503,
        'Unhealthy',
        '5',
      ]);
      resolve(reranker);
      await app.service.ready; // warm-up on (the default) runs before "ready"
      expect((await get(`${url}/readyz`)).body).toEqual({ status: 'ready' });
      expect((await post(`${url}/rerank`, { query: QUERY, documents: DOCS })).status).toBe(200);
      // Draining: readiness and health turn 503, new rerank requests are refused, liveness stays.
      app.service.beginShutdown();
      expect((await get(`${url}/readyz`)).body).toEqual({ status: 'draining' });
      const health2 = await get(`${url}/health`);
      expect([health2.status, health2.body.status, health2.body.reason]).toEqual([
        503,
        'unhealthy',
        'shutting down',
      ]);
      const refused = await post(`${url}/v1/rerank`, { query: QUERY, documents: DOCS });
      expect([refused.status, refused.body.code, refused.headers.get('connection')]).toEqual([
        503,
        'SHUTTING_DOWN',
        'close',
      ]);
      expect((await get(`${url}/healthz`)).status).toBe(200);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reports a model that failed to load as unhealthy', async () => {
    const failing = Promise.reject(new RerankerError('MODEL_LOAD_FAILED', 'broken model'));
    const app = createApp({ reranker: failing, config: serverConfig(), logger: silentPino() });
    await expect(app.service.ready).rejects.toThrow('broken model');
    const { url, server } = await listen(app);
    try {
      const health = await get(`${url}/health`);
      expect([health.status, health.body.status, health.body.reason]).toEqual([
        503,
        'unhealthy',
        'broken model',
      ]);
      const res = await post(`${url}/rerank`, { query: QUERY, documents: DOCS });
      expect([res.status, res.body.error.code]).toEqual([503, 'UNHEALTHY']);
    } finally {
      server.close();
    }
  });
});

describe('toErrorResponse', () => {
  it.each([
    ['QUEUE_FULL', 503, 503, 503, 'Overloaded'],
    ['QUEUE_TIMEOUT', 503, 503, 503, 'Overloaded'],
    ['TIMEOUT', 504, 504, 504, 'Backend'],
    ['BACKEND_FAILED', 500, 424, 500, 'Backend'],
    ['BACKEND_UNAVAILABLE', 500, 424, 500, 'Backend'],
    ['DISPOSED', 503, 503, 503, 'Unhealthy'],
    ['INVALID_INPUT', 422, 422, 400, 'Validation'],
  ] as const)('maps %s to native %i, TEI %i, Cohere %i', (code, native, tei, cohere, teiType) => {
    const error = new RerankerError(code, `a ${code} failure`);
    expect(toErrorResponse(error, 'native').status).toBe(native);
    expect(toErrorResponse(error, 'tei')).toMatchObject({ status: tei, body: { error_type: teiType } });
    expect(toErrorResponse(error, 'cohere')).toMatchObject({ status: cohere, body: { code } });
  });

  it('hides unexpected errors behind a plain 500', () => {
    const response = toErrorResponse(new TypeError('secret internals at /srv/app.ts:12'), 'native');
    expect(response.status).toBe(500);
    expect(JSON.stringify(response.body)).not.toContain('secret');
  });
});
