import { afterEach, describe, expect, it } from 'vitest';
import { DOCS, get, type Probe, post, QUERY, until } from './helpers';
import { type MultiServer, probedBackends, startMultiServer } from './multi-server';

// Two synthesized models (BERT `minilm`, XLM-R `xlmr`) on the testkit's reference backend, without a
// compute budget, and one server-wide slot: requests run one at a time, each in one batch, so the
// order the server admitted them in is the order of the backend runs. Read from the log of runs,
// never from timings.
let server: MultiServer | undefined;
const probes = new Map<string, Probe>();
/** Model of every backend run, in the order they started. */
let runLog: string[] = [];

afterEach(async () => {
  for (const probe of probes.values()) probe.release();
  await server?.close();
  server = undefined;
});

const backends = probedBackends(probes, {
  run(model, run) {
    runLog.push(model);
    return run();
  },
});

async function start(): Promise<MultiServer> {
  runLog = [];
  probes.clear();
  server = await startMultiServer({
    models: [
      { name: 'minilm', preset: 'tiny', preload: true },
      { name: 'xlmr', preset: 'tiny-xlmr', preload: true },
    ],
    backends,
    registry: { global: { maxParallel: 1, maxQueue: 10, queueTimeoutMs: 30_000 } },
  });
  return server;
}

// A query of its own per request: the score cache never answers one.
const rerank = (s: MultiServer, model: string, query: string, signal?: AbortSignal) =>
  signal
    ? fetch(`${s.url}/v2/rerank`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, query, documents: DOCS }),
        signal,
      }).then(
        (r) => r.status,
        () => 'aborted',
      )
    : post(`${s.url}/v2/rerank`, { model, query, documents: DOCS }).then((r) => r.status);

describe('server-wide slots with several models', () => {
  it("a burst on one model larger than the server's slots: another model's request gets the next free slot", async () => {
    const s = await start();
    const minilm = probes.get('minilm')!;
    minilm.hold();
    const burst = Array.from({ length: 5 }, (_, i) => rerank(s, 'minilm', `${QUERY} ${i}`));
    // A request holds its model (`users`) from before it asks for a slot until it is answered.
    const users = (model: string) => s.models.find(model)!.users;
    await until(() => users('minilm') === 5, "minilm's burst in the queue");
    const single = rerank(s, 'xlmr', QUERY);
    await until(() => users('xlmr') === 1, "xlmr's request in the queue");

    // The queues as /health and Prometheus show them: each model's own, and the server's over all.
    const health = (await get(`${s.url}/health`)).body;
    expect(health.controller).toMatchObject({ active: 1, waiting: 5, max_parallel: 1, max_queue: 10 });
    expect(health.models.minilm.controller).toMatchObject({ active: 1, waiting: 4 });
    expect(health.models.xlmr.controller).toMatchObject({ active: 0, waiting: 1 });
    const prom = (await get(`${s.url}/metrics/prometheus`)).body as string;
    expect(prom).toMatch(/^reranker_queue_depth\{model="minilm"\} 4$/m);
    expect(prom).toMatch(/^reranker_queue_depth\{model="xlmr"\} 1$/m);

    minilm.release();
    expect(await single).toBe(200);
    expect(await Promise.all(burst)).toEqual(Array(5).fill(200));
    // xlmr ran as soon as the burst's running request gave its slot back, before the other four.
    expect(runLog).toEqual(['minilm', 'xlmr', 'minilm', 'minilm', 'minilm', 'minilm']);
    const metrics = (await get(`${s.url}/metrics`)).body;
    expect(metrics.models.xlmr).toMatchObject({ total_requests: 1, successful_requests: 1 });
    // Its wait for the server's slot is its queue time.
    expect(metrics.models.xlmr.avg_wait_time_ms).toBeGreaterThan(0);
    expect(metrics).toMatchObject({ total_requests: 6, controller: { active: 0, waiting: 0 } });
  });

  it('a request whose client disconnects leaves its model queue and never runs', async () => {
    const s = await start();
    const minilm = probes.get('minilm')!;
    minilm.hold();
    const running = rerank(s, 'minilm', `${QUERY} held`);
    await until(() => minilm.runs === 1, 'the held minilm run started');
    const abort = new AbortController();
    const gone = rerank(s, 'xlmr', `${QUERY} gone`, abort.signal);
    const kept = rerank(s, 'xlmr', `${QUERY} kept`);
    await until(() => s.models.global!.stats().waiting === 2, 'both xlmr requests waiting');
    abort.abort();
    expect(await gone).toBe('aborted');
    await until(() => s.models.global!.stats().waiting === 1, 'the aborted request left the queue');
    expect(s.models.find('xlmr')!.reranker!.stats().controller).toMatchObject({ waiting: 1, active: 0 });
    minilm.release();
    expect([await running, await kept]).toEqual([200, 200]);
    // The aborted request was never computed: one xlmr run, the kept one.
    expect(runLog).toEqual(['minilm', 'xlmr']);
  });
});
