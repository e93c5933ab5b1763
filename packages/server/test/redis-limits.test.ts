import { randomUUID } from 'node:crypto';
import { createRedisCache } from '@reranker/node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Member, type MemberOptions, startMember } from './cluster/member';
import { get, type Json, post, QUERY } from './helpers';

// Every server here scores with the testkit's synthesized model (random weights) on its float64
// reference backend; what is checked is admission, not scores.
const CLOSED = 'redis://127.0.0.1:1';
const RUN = `test:${randomUUID()}:`;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});
afterAll(async () => {
  // Cached scores go now; leases, rate windows and registry entries expire by themselves.
  const cleanup = createRedisCache({ keyPrefix: RUN });
  await cleanup.clear();
  await cleanup.dispose();
});

/** A distributed server of this run's cluster `prefix` (see startMember), closed after the test. */
async function member(prefix: string, options: Omit<MemberOptions, 'keyPrefix'> = {}): Promise<Member> {
  const m = await startMember({ keyPrefix: `${RUN}${prefix}:`, ...options });
  cleanups.push(m.close);
  return m;
}

/** Documents no other test scored, so the backend (not the shared cache) answers. */
const fresh = (count = 3) => Array.from({ length: count }, (_, i) => `passage ${i} ${randomUUID()}`);

/** Polls `check` until it holds; fails after `withinMs` (generous: no timing is asserted). */
async function eventually(check: () => Promise<boolean>, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('GLOBAL_MAX_PARALLEL across servers', () => {
  it('a second server answers 503 + Retry-After while the only cluster slot is busy', async () => {
    const limits = { maxParallel: 1, maxWaiting: 0 };
    const a = await member('slots', { limits });
    const b = await member('slots', { limits });
    a.probe.hold();
    const running = a.probe.started();
    const first = post(`${a.url}/rerank`, { query: QUERY, documents: fresh() });
    await running;
    const refused = await post(`${b.url}/rerank`, { query: QUERY, documents: fresh() });
    expect([refused.status, refused.body.error.code, refused.headers.get('retry-after')]).toEqual([
      503,
      'QUEUE_FULL',
      '1',
    ]);
    const tei = await post(`${b.url}/rerank`, { query: QUERY, texts: fresh() });
    expect([tei.status, tei.body.error_type]).toEqual([503, 'Overloaded']);
    // Server a itself is bound by the cluster slot too.
    expect((await post(`${a.url}/v2/rerank`, { query: QUERY, documents: fresh() })).status).toBe(503);
    a.probe.release();
    expect((await first).status).toBe(200);
    // The slot is given back: b gets it (the release is asynchronous, hence polling).
    await eventually(
      async () => (await post(`${b.url}/rerank`, { query: QUERY, documents: fresh() })).status === 200,
    );
  });

  it('a request waits for a slot another server frees, up to the queue timeout', async () => {
    const a = await member('wait', { limits: { maxParallel: 1, maxWaiting: 0 } });
    const b = await member('wait', { limits: { maxParallel: 1, maxWaiting: 4, waitMs: 30_000 } });
    a.probe.hold();
    const running = a.probe.started();
    const first = post(`${a.url}/rerank`, { query: QUERY, documents: fresh() });
    await running;
    const waiting = post(`${b.url}/rerank`, { query: QUERY, documents: fresh() });
    // Still waiting: b's backend has not run.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(b.probe.runs).toBe(0);
    a.probe.release();
    expect((await first).status).toBe(200);
    const served = await waiting;
    expect(served.status).toBe(200);
    expect(Number(served.headers.get('x-queue-time'))).toBeGreaterThan(0);
  });
});

describe('GLOBAL_RATE_LIMIT_RPS', () => {
  it('answers 503 RATE_LIMITED with Retry-After over the cluster rate', async () => {
    const a = await member('rate', { limits: { rateLimitRps: 2 } });
    const b = await member('rate', { limits: { rateLimitRps: 2 } });
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        post(`${(i % 2 ? a : b).url}/v1/rerank`, { query: QUERY, documents: fresh(1) }),
      ),
    );
    const ok = responses.filter((r) => r.status === 200).length;
    // 12 requests land in one 1 s window, or two at worst.
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(ok).toBeLessThanOrEqual(4);
    for (const refused of responses.filter((r) => r.status !== 200)) {
      expect([refused.status, refused.body.code]).toEqual([503, 'RATE_LIMITED']);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });
});

describe('Redis unreachable', () => {
  it('requests succeed under local limits only, and /health says the limits are degraded', async () => {
    const down = await member('down', {
      redisUrl: CLOSED,
      limits: { maxParallel: 1, rateLimitRps: 1, maxWaiting: 0, timeoutMs: 100 },
    });
    for (let i = 0; i < 5; i++) {
      const res = await post(`${down.url}/rerank`, { query: QUERY, documents: fresh(2) });
      expect(res.status).toBe(200);
    }
    const health = (await get(`${down.url}/health`)).body as Json;
    expect(health.status).toBe('healthy');
    expect(health.distributed.global_limits).toEqual({
      max_parallel: 1,
      rate_limit_rps: 1,
      redis: 'degraded',
    });
  });
});

describe('GET /metrics/cluster', () => {
  it('adds up the servers and merges their latency histograms', async () => {
    const a = await member('metrics', { registry: true });
    const b = await member('metrics', { registry: true });
    for (const target of [a, a, a, b]) {
      expect((await post(`${target.url}/rerank`, { query: QUERY, documents: fresh(2) })).status).toBe(200);
    }
    let body: Json;
    await eventually(async () => {
      body = (await get(`${b.url}/metrics/cluster`)).body;
      return body.requests === 4;
    });
    expect(body).toMatchObject({ servers: 2, requests: 4, errors: 0, documents: 8 });
    expect(body.per_server.map((s: Json) => s.requests).sort()).toEqual([1, 3]);
    const { p50, p95, p99 } = body.latency_ms;
    expect(p50).toBeGreaterThan(0);
    expect(p95).toBeGreaterThanOrEqual(p50);
    expect(p99).toBeGreaterThanOrEqual(p95);
  });

  it('sizes the cluster from the load the servers publish (desired_servers)', async () => {
    const a = await member('scale', { registry: true, targetUtilization: 0.25 });
    const b = await member('scale', { registry: true, targetUtilization: 0.25 });
    a.probe.hold();
    const running = [1, 2, 3].map(() => post(`${a.url}/rerank`, { query: QUERY, documents: fresh(2) }));
    let body: Json;
    await eventually(async () => {
      body = (await get(`${b.url}/metrics/cluster`)).body;
      return body.scaling.in_flight === 3;
    });
    // 3 running on a, none on b; 4 slots each (MAX_PARALLEL_REQUESTS' default) at 0.25: 3 / 1 = 3.
    expect(body).toMatchObject({
      servers: 2,
      desired_servers: 3,
      scaling: { in_flight: 3, capacity_per_server: 4, target_utilization: 0.25 },
    });
    a.probe.release();
    for (const res of await Promise.all(running)) expect(res.status).toBe(200);
    await eventually(async () => {
      body = (await get(`${b.url}/metrics/cluster`)).body;
      return body.scaling.in_flight === 0;
    });
    expect(body.desired_servers).toBe(1);
  });

  it('is a 404 outside distributed mode', async () => {
    const alone = await member('alone');
    const res = await get(`${alone.url}/metrics/cluster`);
    expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });
});
