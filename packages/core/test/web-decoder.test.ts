import { kendallTau, type Qwen3PresetName, qwen3Oracle, synthesizedQwen3Dir } from '@reranker/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type UnifiedReRanker } from '../src/index';
import { createWebReranker, type WebRerankerOptions } from '../src/web/index';
import { type ModelServer, serveModelFolder } from './web-server';

// LLM rerankers on the web backend (onnxruntime-web, wasm): the prefix graph (key/values of the
// shared prefix reused from the session's LRU) and an onnx-community export. Scores are checked
// against the testkit's float64 reference on the model card's prompt encoded by transformers.js.

const QUERY = 'what is the capital of China?';
const DOCS = [
  'Beijing.',
  'The capital of China is Beijing, a city in the north of the country with a long history.',
  '',
  'Gravity attracts two bodies towards each other and moves planets around the sun.',
  '北京是中国的首都。',
];

const servers: ModelServer[] = [];
const open: UnifiedReRanker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.dispose()));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function webReranker(dir: string, extra: Partial<WebRerankerOptions> = {}) {
  const server = await serveModelFolder(dir);
  servers.push(server);
  const reranker = await createWebReranker({
    logger: silentLogger,
    numThreads: 1,
    cacheName: false,
    cache: false,
    maxPaddingRatio: 100, // every document in one batch
    model: `${server.url}/models/tiny/`,
    ...extra,
  });
  open.push(reranker);
  return reranker;
}

const maxDiff = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

type Case = { preset: Qwen3PresetName; graph: 'prefix' | 'causal-lm' };
const CASES: Case[] = [
  { preset: 'tiny-qwen3', graph: 'prefix' },
  { preset: 'tiny-qwen3-seq-cls', graph: 'prefix' },
  { preset: 'tiny-qwen3', graph: 'causal-lm' },
];

describe.each(CASES)('$preset, $graph graph, on wasm', ({ preset, graph }) => {
  it('scores mixed lengths in one batch within 1e-5 of the reference, batch-invariant', async () => {
    const dir = await synthesizedQwen3Dir(
      preset,
      graph === 'prefix' ? { prefixGraph: true } : { onnxCommunityExport: true },
    );
    const oracle = await qwen3Oracle(dir);
    const reranker = await webReranker(dir);
    const want = DOCS.map((d) => oracle.score(QUERY, d));
    const together = await reranker.score(DOCS.map((document) => ({ query: QUERY, document })));
    const alone: number[] = [];
    for (const document of DOCS) alone.push(...(await reranker.score([{ query: QUERY, document }])));
    expect(maxDiff(together, want)).toBeLessThan(1e-5);
    expect(maxDiff(alone, want)).toBeLessThan(1e-5);
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(1e-3); // able to fail
    const info = await reranker.info();
    expect(info).toMatchObject({
      backend: 'onnxruntime-web',
      device: 'wasm',
      backendDetails: { decoderLayout: graph },
    });
  });
});

// dtype q8: onnx/model_quantized.onnx beside each graph (dynamic int8, as hub repos ship it). Bounds as
// the testkit's and the Node backend's q8 tests: log-odds near 5 with random weights, so within 0.25
// of the reference, really quantized, and the reference's ranking mostly kept (Kendall tau >= 0.7).
// Measured: prefix |Δ| 0.072, tau 0.79; causal-lm |Δ| 0.118, tau 0.86 (reference spread 0.34); wasm
// gives the same values with int8 and uint8 weights (its kernels do not saturate), on any CPU.
const Q8_DOCS = [...DOCS, 'Shanghai is the largest city of China.', 'The capital of China?', 'no'];

describe.each(['prefix', 'causal-lm'] as const)('tiny-qwen3, %s graph, q8 on wasm', (graph) => {
  it('stays within 0.25 of the reference and keeps its ranking', async () => {
    const dir = await synthesizedQwen3Dir(
      'tiny-qwen3',
      graph === 'prefix' ? { prefixGraph: true } : { onnxCommunityExport: true },
    );
    const oracle = await qwen3Oracle(dir);
    const reranker = await webReranker(dir, { dtype: 'q8' });
    const got = await reranker.score(Q8_DOCS.map((document) => ({ query: QUERY, document })));
    const want = Q8_DOCS.map((d) => oracle.score(QUERY, d));
    expect(maxDiff(got, want)).toBeLessThan(0.25);
    expect(maxDiff(got, want)).toBeGreaterThan(1e-4); // the int8 graph, not a float32 copy
    expect(kendallTau(got, want)).toBeGreaterThanOrEqual(0.7);
    expect((await reranker.info()).backendDetails).toMatchObject({
      modelFile: 'onnx/model_quantized.onnx',
      decoderLayout: graph,
    });
  });
});

describe('tiny-qwen3 prefix graph on wasm', () => {
  it('several queries at once, and a repeated query served from the prefix LRU', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3', { prefixGraph: true });
    const oracle = await qwen3Oracle(dir);
    const reranker = await webReranker(dir, { batchSize: 2 });
    const queries = [QUERY, 'how do planets move', 'capital city'];
    const all = await Promise.all(
      queries.map((query) => reranker.score(DOCS.map((document) => ({ query, document })))),
    );
    all.forEach((scores, i) => {
      expect(
        maxDiff(
          scores,
          DOCS.map((d) => oracle.score(queries[i]!, d)),
        ),
      ).toBeLessThan(1e-5);
    });
    const stats = async () =>
      ((await reranker.info()).backendDetails as { prefixCache: Record<string, number> }).prefixCache;
    const before = await stats();
    expect(before).toMatchObject({ misses: 3, entries: 3 });
    expect(before.hits).toBe(3 * Math.ceil(DOCS.length / 2) - 3); // every batch after a prefix's first
    await reranker.score([{ query: queries[1]!, document: DOCS[0]! }]);
    expect(await stats()).toMatchObject({ misses: 3, hits: before.hits! + 1 });
  });

  it('refuses a cross-encoder export given to a decoder reranker, naming why (MODEL_LOAD_FAILED)', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3', { prefixGraph: true });
    const server = await serveModelFolder(dir);
    servers.push(server);
    const { fetchModel, webBackends } = await import('../src/web/index');
    const files = fetchModel({ model: `${server.url}/models/tiny/`, cacheName: false });
    const [wasm] = webBackends({ device: 'wasm', numThreads: 1 });
    // The prefix graph read as a 3-label decoder: the label count check fails at load.
    const error = await wasm!
      .load({
        model: files,
        config: JSON.parse(new TextDecoder().decode(await files.read('config.json'))),
        kind: { name: 'decoder-yes-no', numLabels: 3, graph: { inputs: 'prefix-cache' }, padTokenId: 0 },
        dtype: 'fp32',
        logger: silentLogger,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect((error as Error).message).toMatch(/logits have 2 labels where the model kind reads 3/);
  });
});
