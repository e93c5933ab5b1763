import { referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import * as ort from 'onnxruntime-web';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger, type UnifiedReRanker } from '../src/index';
import { createWebReranker, fetchModel, webBackends } from '../src/web/index';
import { fakeCacheStorage, type ModelServer, serveModelFolder } from './web-server';

// Synthesized model, random weights: scores are checked against the testkit's float64 reference.
const query = 'how do tides work';
const documents = [
  'the moon pulls the oceans toward it',
  'a recipe for lemon cake',
  'tides rise and fall twice a day',
];
const base = { logger: silentLogger, numThreads: 1, cacheName: false as const };

let dir: string;
let server: ModelServer;
let expected: number[];
const open: UnifiedReRanker[] = [];
const track = (reranker: UnifiedReRanker) => {
  open.push(reranker);
  return reranker;
};

beforeAll(async () => {
  dir = await synthesizedModelDir('tiny');
  server = await serveModelFolder(dir);
  expected = await referencePairScores(dir, query, documents);
});
afterEach(async () => {
  vi.unstubAllGlobals();
  await Promise.all(open.splice(0).map((r) => r.dispose()));
});
afterAll(() => server.close());

const scoresOf = (reranker: UnifiedReRanker) =>
  reranker.score(documents.map((document) => ({ query, document })));

function expectReference(scores: number[]): void {
  scores.forEach((score, i) => {
    expect(Math.abs(score - expected[i]!), `document ${i}`).toBeLessThan(1e-4);
  });
  // Able to fail: the random-weight scores differ from one another by far more than the tolerance.
  expect(Math.abs(expected[0]! - expected[1]!)).toBeGreaterThan(1e-3);
}

describe('createWebReranker', () => {
  it('reads a model folder URL and scores like the reference', async () => {
    const reranker = track(await createWebReranker({ ...base, model: `${server.url}/models/tiny/` }));
    expectReference(await scoresOf(reranker));
    const info = await reranker.info();
    expect(info).toMatchObject({
      backend: 'onnxruntime-web',
      device: 'wasm',
      source: `remote:${server.url}/models/tiny`,
    });
    expect(server.requests).toContain('/models/tiny/onnx/model.onnx');
  });

  it('reads a hub id from <hubEndpoint>/<id>/resolve/<revision>/<file>', async () => {
    server.requests.length = 0;
    const reranker = track(
      await createWebReranker({ ...base, model: 'testkit/tiny', hubEndpoint: server.url, device: 'wasm' }),
    );
    expectReference(await scoresOf(reranker));
    expect(server.requests).toEqual(
      expect.arrayContaining([
        '/testkit/tiny/resolve/main/config.json',
        '/testkit/tiny/resolve/main/onnx/model.onnx',
      ]),
    );
    expect(await reranker.info()).toMatchObject({
      model: 'testkit/tiny',
      source: 'remote:testkit/tiny',
      revision: 'main',
    });
  });

  it("falls back from 'auto' to wasm without navigator.gpu, and info() says why", async () => {
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
    const reranker = track(await createWebReranker({ ...base, model: `${server.url}/models/tiny` }));
    const info = await reranker.info();
    expect(info.device).toBe('wasm');
    expect(info.backendFallbacks).toEqual([
      { candidate: 'onnxruntime-web:webgpu', message: expect.stringContaining('navigator.gpu is absent') },
    ]);
    expect(info.backendDetails).toMatchObject({
      executionProvider: 'wasm',
      numThreads: 1,
      crossOriginIsolated: false,
    });
  });

  it('keeps the reason when the adapter is null', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
    const reranker = track(await createWebReranker({ ...base, model: `${server.url}/models/tiny` }));
    const [fallback] = (await reranker.info()).backendFallbacks;
    expect(fallback?.message).toContain('requestAdapter() returned null');
  });

  it('falls back to wasm when the WebGPU session fails, downloading the model once', async () => {
    // An adapter exists, but onnxruntime-web under Node has no webgpu backend: session creation fails.
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => ({}) } });
    server.requests.length = 0;
    const reranker = track(await createWebReranker({ ...base, model: `${server.url}/models/tiny` }));
    const info = await reranker.info();
    expect(info.device).toBe('wasm');
    expect(info.backendFallbacks[0]).toMatchObject({
      candidate: 'onnxruntime-web:webgpu',
      message: expect.stringContaining('webgpu'),
    });
    expect(server.requests.filter((p) => p.endsWith('.onnx'))).toEqual(['/models/tiny/onnx/model.onnx']);
    expectReference(await scoresOf(reranker));
  });

  it('loads the ONNX file of the dtype', async () => {
    server.requests.length = 0;
    const reranker = track(
      await createWebReranker({ ...base, model: `${server.url}/models/tiny`, dtype: 'q8' }),
    );
    expect(server.requests.filter((p) => p.endsWith('.onnx'))).toEqual([
      '/models/tiny/onnx/model_quantized.onnx',
    ]);
    expect((await reranker.info()).backendDetails).toMatchObject({ modelFile: 'onnx/model_quantized.onnx' });
    expect((await scoresOf(reranker)).every(Number.isFinite)).toBe(true);
  });

  it("fails with one clear error for device 'webgpu' without WebGPU", async () => {
    await expect(
      createWebReranker({ ...base, model: `${server.url}/models/tiny`, device: 'webgpu' }),
    ).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: expect.stringContaining('navigator.gpu'),
    });
  });

  it('names the URL when the model folder does not exist', async () => {
    const url = `${server.url}/models/missing`;
    const error = await createWebReranker({ ...base, model: url }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect((error as Error).message).toContain(`${url}/config.json`);
    expect((error as Error).message).toContain('404');
  });

  it('reads every file from the Cache API on the second load: no network requests', async () => {
    vi.stubGlobal('caches', fakeCacheStorage());
    const options = { ...base, model: `${server.url}/models/tiny`, cacheName: 'test-models' };
    const first = track(await createWebReranker(options));
    expectReference(await scoresOf(first));
    server.requests.length = 0;
    const second = track(await createWebReranker(options));
    expect(server.requests).toEqual([]);
    expectReference(await scoresOf(second));
    // The check can fail: with caching off the same load does go to the network.
    track(await createWebReranker({ ...options, cacheName: false }));
    expect(server.requests.length).toBeGreaterThan(0);
  });
});

describe('fetchModel', () => {
  it('tells hub ids from folder URLs and paths', () => {
    expect(fetchModel({ model: 'Xenova/ms-marco-MiniLM-L-6-v2' })).toMatchObject({
      source: 'remote:Xenova/ms-marco-MiniLM-L-6-v2',
      revision: 'main',
    });
    expect(fetchModel({ model: '/models/tiny' }).source).toBe('remote:/models/tiny');
    expect(fetchModel({ model: './models/tiny/' }).source).toBe('remote:./models/tiny');
  });

  it('names the URL when the server cannot be reached', async () => {
    const files = fetchModel({ model: 'http://127.0.0.1:9/models/tiny', cacheName: false });
    await expect(files.read('config.json')).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: expect.stringContaining('http://127.0.0.1:9/models/tiny/config.json'),
    });
  });
});

describe('web backend', () => {
  it('runs one batch at a time per session', async () => {
    const model = fetchModel({ model: `${server.url}/models/tiny`, cacheName: false });
    const config = JSON.parse(new TextDecoder().decode(await model.read('config.json')));
    const [candidate] = webBackends({ device: 'wasm', numThreads: 1 });
    const backend = await candidate!.load({ model, config, dtype: 'fp32', logger: silentLogger });
    const batch = (ids: number[]) => ({
      rows: 1,
      width: ids.length,
      inputIds: BigInt64Array.from(ids, BigInt),
      attentionMask: new BigInt64Array(ids.length).fill(1n),
      tokenTypeIds: new BigInt64Array(ids.length),
    });
    let active = 0;
    let most = 0;
    // The session class is a factory in onnxruntime's types; its prototype holds run().
    const proto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
    const original = proto.run;
    const spy = vi.spyOn(proto, 'run').mockImplementation(async function (
      this: ort.InferenceSession,
      ...args: Parameters<typeof original>
    ) {
      most = Math.max(most, ++active);
      try {
        return await original.apply(this, args);
      } finally {
        active--;
      }
    });
    try {
      const runs = [
        [101, 300, 102, 400, 102],
        [101, 500, 102, 600, 700, 102],
        [101, 800, 102, 900, 102],
      ].map((ids) => backend.run(batch(ids)));
      const logits = await Promise.all(runs);
      expect(logits.map((l) => l.length)).toEqual([1, 1, 1]);
      expect(spy).toHaveBeenCalledTimes(3);
      expect(most).toBe(1);
    } finally {
      spy.mockRestore();
      await backend.dispose();
    }
  });

  it('rejects bad options with INVALID_CONFIG', () => {
    expect(() => webBackends({ device: 'gpu' as 'wasm' })).toThrow(
      /device must be one of auto, webgpu, wasm/,
    );
    expect(() => webBackends({ numThreads: 0 })).toThrow(/numThreads must be a positive integer/);
  });
});
