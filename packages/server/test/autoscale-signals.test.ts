import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMAND_TIME_CONSTANT_S, LoadTracker } from '../src/metrics/load';
import { get, post, QUERY, startServer, type TestServer } from './helpers';

/** Documents no other request scored, so the model (not the cache) runs and tokens are counted. */
const fresh = (count: number) => Array.from({ length: count }, (_, i) => `passage ${i} ${randomUUID()}`);

describe('LoadTracker', () => {
  it('smooths the documents offered per second with a 60 s time constant', () => {
    let now = 0;
    const load = new LoadTracker(() => now);
    // One burst of 60 documents: 60 / τ = 1 doc/s at once, then e^-1 of it after τ.
    load.begin(60);
    expect(load.demandRate()).toBeCloseTo(1, 12);
    now = DEMAND_TIME_CONSTANT_S * 1000;
    expect(load.demandRate()).toBeCloseTo(Math.exp(-1), 12);
    // A steady 10 documents per second (one every 100 ms) for 10 τ converges to 10 (within e^-10).
    const steady = new LoadTracker(() => now);
    for (let i = 0; i < 6000; i++) {
      now += 100;
      steady.begin(1);
    }
    expect(steady.demandRate()).toBeGreaterThan(9.95);
    expect(steady.demandRate()).toBeLessThan(10.05);
  });

  it('counts documents in flight and estimates their tokens from the documents scored', () => {
    const load = new LoadTracker(() => 0);
    load.begin(4);
    expect([load.inflightDocuments, load.inflightTokens]).toEqual([4, 0]);
    load.finish(4, 100); // 25 tokens per document
    load.begin(3);
    load.begin(2);
    expect([load.inflightDocuments, load.inflightTokens]).toEqual([5, 125]);
    load.finish(2); // refused (queue full): no tokens, the mean stays
    expect([load.inflightDocuments, load.inflightTokens]).toEqual([3, 75]);
    load.finish(3, 30); // now 130 tokens over 7 documents
    load.begin(7);
    expect(load.inflightTokens).toBe(130);
  });
});

describe('autoscaling gauges', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ engine: { maxParallel: 2, maxQueue: 1 }, instrument: true });
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const text = (await get(`${t.url}/metrics/prometheus`)).body as string;
    return (name: string) => {
      // Per-model gauges carry a `model` label; this server has one model, so one series.
      const match = new RegExp(`^${name}(?:\\{model="[^"]*"\\})? (\\S+)$`, 'm').exec(text);
      if (!match) throw new Error(`${name} is missing from /metrics/prometheus`);
      return Number(match[1]);
    };
  };

  it('show saturation, queue, documents and tokens in flight, capacity and demand', async () => {
    // One scored request first: 6 documents of known tokens set the tokens-per-document estimate.
    const first = await post(`${t.url}/rerank`, { query: QUERY, documents: fresh(6) });
    expect(first.status).toBe(200);
    const tokensPerDocument = Number(first.headers.get('x-compute-tokens')) / 6;
    expect(tokensPerDocument).toBeGreaterThan(0);

    t.probe.hold();
    const running = [4, 5, 6].map((count) =>
      post(`${t.url}/rerank`, { query: QUERY, documents: fresh(count) }),
    );
    // Two run (maxParallel 2) and one waits (maxQueue 1); a fourth is refused but still counts as demand.
    await expect.poll(() => t.reranker.stats().controller.waiting, { timeout: 10_000 }).toBe(1);
    expect((await post(`${t.url}/rerank`, { query: QUERY, documents: fresh(3) })).status).toBe(503);

    const busy = await scrape();
    expect(busy('reranker_saturation')).toBe(1.5); // (2 running + 1 waiting) / 2 slots
    expect(busy('reranker_queue_depth')).toBe(1);
    expect(busy('reranker_active_requests')).toBe(2);
    expect(busy('reranker_max_parallel_requests')).toBe(2);
    expect(busy('reranker_max_queue_size')).toBe(1);
    expect(busy('reranker_workers')).toBe(1);
    expect(busy('reranker_inflight_documents')).toBe(15);
    expect(busy('reranker_inflight_tokens')).toBe(Math.round(15 * tokensPerDocument));
    // 6 + 15 + 3 documents offered within seconds: just under 24 / 60 per second.
    const demand = busy('reranker_demand_documents_per_second');
    expect(demand).toBeLessThanOrEqual(24 / DEMAND_TIME_CONSTANT_S);
    expect(demand).toBeGreaterThan((24 / DEMAND_TIME_CONSTANT_S) * 0.5);

    t.probe.release();
    for (const res of await Promise.all(running)) expect(res.status).toBe(200);
    const idle = await scrape();
    expect(idle('reranker_saturation')).toBe(0);
    expect(idle('reranker_inflight_documents')).toBe(0);
    expect(idle('reranker_inflight_tokens')).toBe(0);
  });
});
