import { afterEach, describe, expect, it } from 'vitest';
import { DOCS, deferred, get, type Json, type Probe, post, QUERY, until } from './helpers';
import { type MultiOptions, type MultiServer, probedBackends, startMultiServer } from './multi-server';
import { compileFromDoc, responseSchema, strictAjv } from './openapi/spec';

// Two synthesized models (BERT `minilm`, the default, and XLM-R `xlmr`) on the testkit's reference
// backend, each with its own probe to hold its runs. Load, unload and eviction are observed through
// /health, /metrics and the loader's count of loads.
let server: MultiServer | undefined;
afterEach(async () => {
  for (const probe of probes.values()) probe.release();
  await server?.close();
  server = undefined;
});

const probes = new Map<string, Probe>();
let loadGate: Promise<void> | undefined;
let disposed: string[] = [];

/** Reference backends with a probe per model; loads wait for `loadGate`; disposals are recorded. */
const backends = probedBackends(probes, {
  load: () => loadGate,
  disposed: (model) => disposed.push(model),
});

async function start(options: Partial<MultiOptions> = {}): Promise<MultiServer> {
  probes.clear();
  disposed = [];
  loadGate = undefined;
  server = await startMultiServer({
    models: [
      { name: 'minilm', preset: 'tiny' },
      { name: 'xlmr', preset: 'tiny-xlmr' },
    ],
    backends,
    ...options,
  });
  return server;
}

const rerankWith = (s: MultiServer, model: string, query = QUERY) =>
  post(`${s.url}/v2/rerank`, { model, query, documents: DOCS });
const states = async (s: MultiServer) => {
  const { body } = await get(`${s.url}/health`);
  return Object.fromEntries(
    Object.entries(body.models as Json).map(([name, m]) => [name, (m as Json).state]),
  );
};
const prometheus = async (s: MultiServer) => (await get(`${s.url}/metrics/prometheus`)).body as string;

describe('lazy loading', () => {
  it('loads the default model at start and another on first use; concurrent first requests share one load', async () => {
    const s = await start();
    expect(await states(s)).toEqual({ minilm: 'loaded', xlmr: 'unloaded' });
    expect(s.loads.get('xlmr')).toBeUndefined();
    const gate = deferred();
    loadGate = gate.promise;
    const first = [1, 2, 3].map((i) => rerankWith(s, 'xlmr', `${QUERY} ${i}`));
    await until(() => s.models.find('xlmr')!.users === 3, 'three requests waiting for xlmr');
    expect(await states(s)).toEqual({ minilm: 'loaded', xlmr: 'loading' });
    gate.resolve();
    const answers = await Promise.all(first);
    expect(answers.map((a) => [a.status, a.body.model])).toEqual([
      [200, 'xlmr'],
      [200, 'xlmr'],
      [200, 'xlmr'],
    ]);
    expect(s.loads.get('xlmr')).toBe(1);
    expect(await states(s)).toEqual({ minilm: 'loaded', xlmr: 'loaded' });
    expect(await prometheus(s)).toContain('reranker_model_loads_total{model="xlmr",result="loaded"} 1');
  });

  it('a request waits for a load at most the queue timeout (503 LOADING, Retry-After), the load goes on', async () => {
    const s = await start({ registry: { loadWaitMs: 200 } });
    const gate = deferred();
    loadGate = gate.promise;
    const slow = await rerankWith(s, 'xlmr');
    expect([slow.status, slow.body.code, slow.headers.get('retry-after')]).toEqual([503, 'LOADING', '5']);
    gate.resolve();
    await until(() => s.models.find('xlmr')!.state === 'loaded', 'xlmr loaded');
    expect((await rerankWith(s, 'xlmr')).status).toBe(200);
    expect(s.loads.get('xlmr')).toBe(1);
  });
});

describe('idle unload', () => {
  it('unloads a model idle for MODEL_IDLE_UNLOAD_SECONDS, never while a request holds it', async () => {
    const s = await start({ config: { modelIdleUnloadMs: 150 } });
    probes.get('minilm')?.hold();
    const held = rerankWith(s, 'minilm');
    await until(() => probes.get('minilm')!.runs > 0, 'the minilm run started');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(s.models.find('minilm')!.state).toBe('loaded');
    probes.get('minilm')!.release();
    expect((await held).status).toBe(200);
    await until(() => s.models.find('minilm')!.state === 'unloaded', 'minilm unloaded once idle');
    await until(() => disposed.includes('minilm'), 'the minilm backend disposed');
    expect(await prometheus(s)).toContain('reranker_model_unloads_total{model="minilm",reason="idle"} 1');
    // The next request loads it again.
    expect((await rerankWith(s, 'minilm')).status).toBe(200);
    expect(s.loads.get('minilm')).toBe(2);
  });
});

describe('memory budget', () => {
  // The synthesized ONNX files: BERT tiny about 456 kB, XLM-R tiny about 533 kB; one fits in 600 kB.
  it('evicts the least recently used idle model to load another', async () => {
    const s = await start({ config: { modelMemoryBudgetBytes: 600_000 } });
    const minilm = s.models.find('minilm')!;
    const xlmr = s.models.find('xlmr')!;
    expect(minilm.bytes).toBeGreaterThan(400_000);
    expect(xlmr.bytes).toBeGreaterThan(minilm.bytes!);
    expect((await rerankWith(s, 'xlmr')).status).toBe(200);
    expect(await states(s)).toEqual({ minilm: 'unloaded', xlmr: 'loaded' });
    expect(disposed).toEqual(['minilm']);
    expect((await rerankWith(s, 'minilm')).status).toBe(200);
    expect(await states(s)).toEqual({ minilm: 'loaded', xlmr: 'unloaded' });
    expect(s.models.residentBytes()).toBeLessThanOrEqual(600_000);
    expect(await prometheus(s)).toMatch(/reranker_model_unloads_total\{model="xlmr",reason="evicted"\} 1/);
  });

  it('503 with Retry-After when the models in use hold the budget, and when a model alone is too large', async () => {
    const s = await start({ config: { modelMemoryBudgetBytes: 600_000 } });
    probes.get('minilm')!.hold();
    const held = rerankWith(s, 'minilm');
    await until(() => probes.get('minilm')!.runs > 0, 'the minilm run started');
    const refused = await rerankWith(s, 'xlmr');
    expect([refused.status, refused.body.code, refused.headers.get('retry-after')]).toEqual([
      503,
      'OVER_MEMORY_BUDGET',
      '5',
    ]);
    expect(refused.body.message).toMatch(
      /does not fit in MODEL_MEMORY_BUDGET_MB .* while minilm serve requests/,
    );
    probes.get('minilm')!.release();
    expect((await held).status).toBe(200);
    expect((await rerankWith(s, 'xlmr')).status).toBe(200);
    await server!.close();

    const small = await start({ config: { modelMemoryBudgetBytes: 500_000 } });
    const tooLarge = await post(`${small.url}/rerank`, { model: 'xlmr', query: QUERY, texts: DOCS });
    expect([tooLarge.status, tooLarge.body.error_type, tooLarge.headers.get('retry-after')]).toEqual([
      503,
      'Overloaded',
      '60',
    ]);
    expect(tooLarge.body.error).toMatch(/Model "xlmr" \(0\.51 MB\) is larger than MODEL_MEMORY_BUDGET_MB/);
    expect(small.models.find('minilm')!.state).toBe('loaded');
  });
});

describe('per-model limits', () => {
  it("503 when a model's queue is full while the other model still answers; then the server-wide limit", async () => {
    const s = await start({
      models: [
        { name: 'minilm', preset: 'tiny', maxParallel: 1, maxQueue: 0 },
        { name: 'xlmr', preset: 'tiny-xlmr', preload: true },
      ],
      registry: { global: { maxParallel: 2, maxQueue: 0, queueTimeoutMs: 30_000 } },
    });
    probes.get('minilm')!.hold();
    const held = rerankWith(s, 'minilm', 'held');
    await until(() => probes.get('minilm')!.runs > 0, 'the minilm run started');
    const full = await rerankWith(s, 'minilm', 'refused');
    expect([full.status, full.body.code, full.headers.get('retry-after')]).toEqual([503, 'QUEUE_FULL', '1']);
    const other = await rerankWith(s, 'xlmr', 'other');
    expect([other.status, other.body.model]).toEqual([200, 'xlmr']);
    // Server-wide: 2 slots, no queue. minilm holds one; a held xlmr request takes the other.
    probes.get('xlmr')!.hold();
    const heldX = rerankWith(s, 'xlmr', 'held x');
    await until(() => s.models.global!.stats().active === 2, 'two server slots taken');
    // Refused before its body is read (admission reads the server-wide slots), in the TEI shape it speaks.
    const global = await post(`${s.url}/rerank`, { model: 'xlmr', query: QUERY, texts: DOCS });
    expect([global.status, global.body.error_type, global.headers.get('retry-after')]).toEqual([
      503,
      'Overloaded',
      '1',
    ]);
    probes.get('minilm')!.release();
    probes.get('xlmr')!.release();
    expect((await held).status).toBe(200);
    expect((await heldX).status).toBe(200);

    // Metrics: the flat keys count the whole server, `models` the same keys per model.
    const { body } = await get(`${s.url}/metrics`);
    expect(body.models.minilm).toMatchObject({
      total_requests: 2,
      successful_requests: 1,
      failed_requests: 1,
    });
    expect(body.models.minilm.errors_by_code).toEqual({ QUEUE_FULL: 1 });
    expect(body.models.xlmr).toMatchObject({ total_requests: 2, successful_requests: 2, failed_requests: 0 });
    expect(body).toMatchObject({
      total_requests: 4,
      successful_requests: 3,
      failed_requests: 1,
      success_rate: 0.75,
    });
    expect(body.controller).toMatchObject({ max_parallel: 2, max_queue: 0, active: 0 });
    for (const key of ['avg_wait_time_ms', 'p50_wait_time_ms', 'p99_wait_time_ms', 'avg_process_time_ms']) {
      expect(typeof body[key]).toBe('number');
      expect(typeof body.models.xlmr[key]).toBe('number');
    }
    const prom = await prometheus(s);
    expect(prom).toMatch(/reranker_request_documents_count\{model="xlmr"\} 2/);
    expect(prom).toMatch(/reranker_request_documents_count\{model="minilm"\} 1/);
    expect(prom).toMatch(/reranker_queue_depth\{model="minilm"\} 0/);
  });
});

describe('the OpenAPI document covers the multi-model bodies', () => {
  it('/health, /metrics, /v1/models and /info of a loaded and an unloaded model match their schemas', async () => {
    const s = await start();
    expect((await rerankWith(s, 'minilm')).status).toBe(200);
    const doc = (await get(`${s.url}/openapi.json`)).body;
    const ajv = strictAjv();
    for (const [path, status] of [
      ['/health', 200],
      ['/metrics', 200],
      ['/v1/models', 200],
      ['/info', 200],
      ['/info?model=xlmr', 200],
      ['/info?model=nope', 404],
    ] as const) {
      const res = await get(`${s.url}${path}`);
      expect(res.status, path).toBe(status);
      const validate = compileFromDoc(ajv, doc, responseSchema(doc, 'get', path.split('?')[0]!, status));
      expect(validate(res.body), `${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
    expect((await get(`${s.url}/info?model=xlmr`)).body).toMatchObject({ loaded: false, state: 'unloaded' });
  });
});
