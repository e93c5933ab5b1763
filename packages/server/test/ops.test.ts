import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS, get, post, QUERY, startServer, type TestServer } from './helpers';

let t: TestServer;

beforeAll(async () => {
  t = await startServer({ config: { modelAliases: ['rerank-english-v3.0'] }, instrument: true });
  // Some traffic, so the metrics have something to count.
  await post(`${t.url}/rerank`, { query: QUERY, documents: DOCS });
});
afterAll(() => t.close());

describe('operations', () => {
  it('GET /health has the original shape', async () => {
    const res = await get(`${t.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'healthy',
      controller: { waiting: 0, active: 0, available_slots: 4, max_parallel: 4, max_queue: 10 },
      model: {
        backend: 'reference',
        source: expect.stringMatching(/^local:/),
        device: 'cpu',
        cache_enabled: true,
        cache_size: expect.any(Number),
        batch_size: 16,
        batch_size_auto: false,
      },
    });
  });

  it('with BATCH_SIZE=auto, /health and /info show the size in use and that it is measured', async () => {
    const auto = await startServer({ engine: { batchSize: 'auto' } });
    try {
      // No warm-up on start here: the size before measuring is the default's nearest candidate.
      expect((await get(`${auto.url}/health`)).body.model).toMatchObject({
        batch_size: 16,
        batch_size_auto: true,
      });
      expect((await get(`${auto.url}/info`)).body).toMatchObject({
        max_batch_requests: 16,
        batch_size_auto: true,
      });
    } finally {
      await auto.close();
    }
  });

  it('GET /healthz and /readyz', async () => {
    expect((await get(`${t.url}/healthz`)).body).toEqual({ status: 'alive' });
    const ready = await get(`${t.url}/readyz`);
    expect([ready.status, ready.body]).toEqual([200, { status: 'ready' }]);
  });

  it('GET /info names the model and limits', async () => {
    const { body } = await get(`${t.url}/info`);
    expect(body).toMatchObject({
      model_id: t.app.service.modelName,
      model_dtype: 'fp32',
      device: 'cpu',
      max_input_length: 512,
      max_client_batch_size: 1000,
      limits: { max_documents_per_request: 1000, body_limit_bytes: 2 * 1024 * 1024 },
      model_aliases: ['rerank-english-v3.0'],
      // A local folder: the content hash, no hub commit.
      model_fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      model_commit: null,
      cache: { enabled: true, size: expect.any(Number), shared: null },
    });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('GET /metrics gives JSON by default and Prometheus text on request', async () => {
    const json = await get(`${t.url}/metrics`);
    expect(json.body.controller.max_parallel).toBe(4);
    expect(json.body.metrics.successful_requests).toBeGreaterThan(0);
    for (const accept of ['text/plain', 'application/openmetrics-text; version=1.0.0']) {
      const text = await get(`${t.url}/metrics`, { accept });
      expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(text.body).toMatch(
        /reranker_http_requests_total\{route="\/rerank",method="POST",status="200"\} \d+/,
      );
    }
    const prom = await get(`${t.url}/metrics/prometheus`);
    for (const name of [
      'reranker_queue_wait_seconds_bucket',
      'reranker_inference_seconds_count',
      'reranker_http_request_duration_seconds_sum',
      'reranker_request_tokens_bucket',
      `reranker_queue_depth{model="${t.app.service.modelName}"} 0`,
      `reranker_active_requests{model="${t.app.service.modelName}"} 0`,
      'reranker_cache_hits_total',
      'reranker_cache_misses_total',
    ]) {
      expect(prom.body).toContain(name);
    }
  });

  it('counts every model run in the batch histograms', async () => {
    const prom = (await get(`${t.url}/metrics/prometheus`)).body as string;
    // One model: one series per name, under its `model` label.
    const value = (name: string) =>
      Number(new RegExp(`^${name}\\{model="${t.app.service.modelName}"\\} (\\S+)$`, 'm').exec(prom)?.[1]);
    expect(t.probe.runs).toBeGreaterThan(0);
    expect(value('reranker_batch_rows_count')).toBe(t.probe.runs);
    expect(value('reranker_batch_rows_sum')).toBe(t.probe.rows);
    expect(value('reranker_batch_tokens_sum')).toBeGreaterThanOrEqual(t.probe.rows);
  });

  it('GET /openapi.json describes every route', async () => {
    const { body } = await get(`${t.url}/openapi.json`);
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths).sort()).toEqual(
      [
        '/cluster',
        '/health',
        '/healthz',
        '/info',
        '/metrics',
        '/metrics/cluster',
        '/metrics/prometheus',
        '/openapi.json',
        '/readyz',
        '/rerank',
        '/v1/models',
        '/v1/rerank',
        '/v2/rerank',
      ].sort(),
    );
  });

  it('unknown routes get a JSON 404', async () => {
    const res = await get(`${t.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
