import { createComputeBudget } from '@reranker/node';
import { afterEach, describe, expect, it } from 'vitest';
import { DOCS, get, type Json, type Probe, post, QUERY, until } from './helpers';
import { type MultiOptions, type MultiServer, probedBackends, startMultiServer } from './multi-server';
import { compileFromDoc, responseSchema, strictAjv } from './openapi/spec';

// Two synthesized models (BERT `minilm`, XLM-R `xlmr`) on the testkit's reference backend sharing one
// compute budget, as the bin shares one between every model of RERANKER_MODELS. Every backend run is
// logged in order with its model, so fairness is read in batches from the log, never from timings.
let server: MultiServer | undefined;
const probes = new Map<string, Probe>();
/** Model of every backend run, in the order they started. */
let runLog: string[] = [];
let running = 0;
let mostRunning = 0;

afterEach(async () => {
  for (const probe of probes.values()) probe.release();
  await server?.close();
  server = undefined;
});

/** The reference backend behind a probe per model, logging each run and how many run at once. */
const backends = probedBackends(probes, {
  async run(model, run) {
    runLog.push(model);
    mostRunning = Math.max(mostRunning, ++running);
    try {
      return await run();
    } finally {
      running--;
    }
  },
});

async function start(options: Partial<MultiOptions> = {}): Promise<MultiServer> {
  probes.clear();
  runLog = [];
  running = 0;
  mostRunning = 0;
  server = await startMultiServer({
    models: [
      { name: 'minilm', preset: 'tiny', preload: true },
      { name: 'xlmr', preset: 'tiny-xlmr', preload: true },
    ],
    backends,
    computeBudget: createComputeBudget({ lanes: 1, threadsPerLane: 1 }),
    ...options,
  });
  return server;
}

const rerank = (s: MultiServer, model: string, query: string, documents = DOCS) =>
  post(`${s.url}/v2/rerank`, { model, query, documents });
const budgetOf = (s: MultiServer) => s.models.computeBudget!.stats();
const user = (s: MultiServer, name: string) => budgetOf(s).users.find((u) => u.name === name);

describe('one compute budget for every model', () => {
  it("a burst on one model does not starve another: B's one batch runs next, A's burst still queued", async () => {
    const s = await start({
      models: [
        // Two pairs a batch: the burst is many batches. xlmr's request is one batch of five.
        { name: 'minilm', preset: 'tiny', preload: true, batchSize: 2, weight: 2 },
        { name: 'xlmr', preset: 'tiny-xlmr', preload: true, batchSize: 8 },
      ],
      // Server-wide slots for every request here: this test is about the lanes, not admission.
      registry: { global: { maxParallel: 16, maxQueue: 16, queueTimeoutMs: 30_000 } },
    });
    const a = probes.get('minilm')!;
    a.hold();
    const burst = Array.from({ length: 8 }, (_, i) => rerank(s, 'minilm', `${QUERY} ${i}`));
    // A model queues its next batch in the budget when its backend is free again (one run at a time
    // here), just before it gives the lane back.
    await until(() => a.runs === 1, "minilm's first batch holds the only lane");
    const single = rerank(s, 'xlmr', QUERY);
    await until(() => user(s, 'xlmr')?.waiting === 1, "xlmr's batch waits for the lane");

    // The budget's state is what /health, /metrics and Prometheus show.
    const health = (await get(`${s.url}/health`)).body;
    expect(health.compute_budget).toEqual({
      lanes: 1,
      threads_per_lane: 1,
      in_use: 1,
      waiting: 1,
      models: {
        minilm: { weight: 2, in_use: 1, waiting: 0, granted: 1 },
        xlmr: { weight: 1, in_use: 0, waiting: 1, granted: 0 },
      },
    });
    expect((await get(`${s.url}/metrics`)).body.compute_budget).toEqual(health.compute_budget);
    const prom = (await get(`${s.url}/metrics/prometheus`)).body as string;
    expect(prom).toMatch(/^reranker_compute_lanes 1$/m);
    expect(prom).toMatch(/^reranker_compute_lanes_in_use\{model="minilm"\} 1$/m);
    expect(prom).toMatch(/^reranker_compute_waiting\{model="xlmr"\} 1$/m);
    expect(prom).toMatch(/^reranker_compute_grants_total\{model="minilm"\} 1$/m);

    a.release();
    const answer = await single;
    expect([answer.status, answer.body.results.length]).toEqual([200, DOCS.length]);
    expect((await Promise.all(burst)).map((r) => r.status)).toEqual(Array(8).fill(200));
    // xlmr's batch ran right after the batch holding the lane, before the rest of the burst.
    expect(runLog.indexOf('xlmr')).toBe(1);
    expect(runLog.filter((m) => m === 'xlmr')).toHaveLength(1);
    expect(runLog.slice(2).filter((m) => m === 'minilm').length).toBeGreaterThanOrEqual(15);
    // One lane: the two models' backends never ran at once.
    expect(mostRunning).toBe(1);
  });

  it('weights share the lanes: with both models waiting, weight 2 gets two batches for the other one', async () => {
    const s = await start({
      models: [
        { name: 'minilm', preset: 'tiny', preload: true, batchSize: 1, weight: 2 },
        // Loaded by its request below, so it registers in the budget after minilm whatever the load
        // times: equal virtual times go to the user registered first.
        { name: 'xlmr', preset: 'tiny-xlmr', batchSize: 1 },
      ],
    });
    const a = probes.get('minilm')!;
    a.hold();
    const first = rerank(s, 'minilm', 'held');
    await until(() => a.runs === 1, "minilm's first batch holds the lane");
    const both = [rerank(s, 'minilm', QUERY), rerank(s, 'xlmr', QUERY)];
    await until(() => user(s, 'xlmr')?.waiting === 1, 'xlmr waiting for the lane');
    a.release();
    expect((await Promise.all([first, ...both])).map((r) => r.status)).toEqual([200, 200, 200]);
    // After the held batch, xlmr first (it started waiting at the virtual time of minilm's last grant),
    // then two minilm batches for each xlmr one while both have batches waiting: the held request's
    // other four and five of each request, 15 runs in all.
    const turn = ['xlmr', 'minilm', 'minilm'];
    expect(runLog).toEqual(['minilm', ...turn, ...turn, ...turn, ...turn, 'xlmr', 'minilm']);
  });
});

describe('JSON /metrics with several models', () => {
  it('batch totals come from the engines, exact, per model and over all, and outlive an eviction', async () => {
    const s = await start({
      models: [
        { name: 'minilm', preset: 'tiny', preload: true, batchSize: 2 },
        { name: 'xlmr', preset: 'tiny-xlmr', batchSize: 4 },
      ],
      // One of the two fits: loading xlmr evicts minilm (see multi-model-lifecycle.test.ts).
      config: { modelMemoryBudgetBytes: 600_000 },
    });
    expect((await rerank(s, 'minilm', QUERY)).status).toBe(200);
    expect((await rerank(s, 'minilm', `${QUERY} again`, DOCS.slice(0, 3))).status).toBe(200);
    const a = probes.get('minilm')!;
    const before = (await get(`${s.url}/metrics`)).body;
    const totals = (block: Json) => [block.batches, block.batch_rows, block.batch_tokens];
    expect(totals(before.models.minilm)).toEqual([a.runs, a.rows, a.tokens]);
    expect(before.models.minilm.avg_rows_per_batch).toBeCloseTo(a.rows / a.runs, 3);
    expect(totals(before)).toEqual([a.runs, a.rows, a.tokens]);

    expect((await rerank(s, 'xlmr', QUERY)).status).toBe(200);
    expect(s.models.find('minilm')!.state).toBe('unloaded');
    const x = probes.get('xlmr')!;
    const after: Json = (await get(`${s.url}/metrics`)).body;
    // The evicted model's batches stay in its totals and the server's.
    expect(totals(after.models.minilm)).toEqual([a.runs, a.rows, a.tokens]);
    expect(totals(after.models.xlmr)).toEqual([x.runs, x.rows, x.tokens]);
    expect(after.models.xlmr.avg_rows_per_batch).toBeCloseTo(x.rows / x.runs, 3);
    expect(totals(after)).toEqual([a.runs + x.runs, a.rows + x.rows, a.tokens + x.tokens]);
    const average = (total: number) => Math.round((total / (a.runs + x.runs)) * 1000) / 1000;
    expect(after.avg_rows_per_batch).toBe(average(a.rows + x.rows));
    expect(after.avg_tokens_per_batch).toBe(average(a.tokens + x.tokens));
    expect(after.metrics.batches).toBe(after.batches);
    expect(after.batches).toBeGreaterThan(0);
    // The dashboard's stats read the same recorders.
    const dashboard = (await get(`${s.url}/dashboard/stats`)).body;
    expect(dashboard.engine.metrics.batches).toBe(a.runs + x.runs);
  });

  it('/health and /metrics with a compute budget match their OpenAPI schemas', async () => {
    const s = await start();
    expect((await rerank(s, 'minilm', QUERY)).status).toBe(200);
    const doc = (await get(`${s.url}/openapi.json`)).body;
    const ajv = strictAjv();
    for (const path of ['/health', '/metrics']) {
      const res = await get(`${s.url}${path}`);
      expect(res.body.compute_budget.models.minilm.granted, path).toBeGreaterThan(0);
      const validate = compileFromDoc(ajv, doc, responseSchema(doc, 'get', path, 200));
      expect(validate(res.body), `${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });
});
