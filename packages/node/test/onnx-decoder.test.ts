import { join } from 'node:path';
import { QWEN3_RERANKER_TEMPLATE, type UnifiedReRanker } from '@reranker/core';
import { type Qwen3Oracle, type Qwen3PresetName, qwen3Oracle, synthesizedQwen3Dir } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { type CreateRerankerOptions, createReranker, onnxNodeBackend, pythonBackend } from '../src/index';
import { lineLogger } from './helpers/line-logger';
import { useWorkspace } from './helpers/workspace';

/**
 * LLM rerankers (Qwen3, its seq-cls conversion, Qwen2, an onnx-community export) on onnxruntime-node
 * through createReranker: scores within 1e-5 of the testkit's float64 reference on the model card's
 * prompt (encoded by transformers.js, never by core), for documents of mixed lengths in one batch.
 */

const QUERY = 'what is the capital of China?';
const DOCS = [
  'Beijing.',
  'The capital of China is Beijing, a city in the north of the country with a long history.',
  '',
  'Gravity is a force that attracts two bodies towards each other. It gives weight to physical objects and moves planets around the sun.',
  'Paris is the capital of France 🙂',
  '北京是中国的首都。',
];

const { dir: workDir, open } = useWorkspace('onnx-decoder');

type Case = { preset: Qwen3PresetName; export?: boolean; layout: 'prefix' | 'causal-lm' };
const CASES: Case[] = [
  { preset: 'tiny-qwen3', layout: 'prefix' },
  { preset: 'tiny-qwen3-seq-cls', layout: 'prefix' },
  { preset: 'tiny-qwen2', layout: 'prefix' },
  { preset: 'tiny-qwen3', export: true, layout: 'causal-lm' },
];

async function open1(
  dir: string,
  name: string,
  extra: Partial<CreateRerankerOptions> = {},
): Promise<UnifiedReRanker> {
  const reranker = await createReranker({
    env: {},
    model: dir,
    cacheDir: join(workDir(), `${name}-cache`),
    logger: lineLogger(),
    progress: 'none',
    cacheEnabled: false,
    maxPaddingRatio: 100, // every document in one batch
    backends: [onnxNodeBackend({ workers: 1, threadsPerWorker: 1 })],
    // Qwen2 rerankers have no shared prompt: this twin is prompted like Qwen3-Reranker.
    ...(name.startsWith('tiny-qwen2') && { template: { ...QWEN3_RERANKER_TEMPLATE, name: 'tiny-qwen2' } }),
    ...extra,
  });
  open.push(reranker);
  return reranker;
}

const maxDiff = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

const expected = (oracle: Qwen3Oracle, query: string, docs = DOCS) => docs.map((d) => oracle.score(query, d));

describe.each(CASES)('$preset (export: $export)', ({ preset, export: exported, layout }) => {
  it(`runs the ${layout} graph within 1e-5 of the reference, mixed lengths in one batch, batch-invariant`, async () => {
    const dir = await synthesizedQwen3Dir(preset, { onnxCommunityExport: exported === true });
    const oracle = await qwen3Oracle(dir);
    const reranker = await open1(dir, `${preset}-${layout}`);
    const want = expected(oracle, QUERY);
    const together = await reranker.score(DOCS.map((d) => [QUERY, d] as const));
    const alone: number[] = [];
    for (const d of DOCS) alone.push(...(await reranker.score([[QUERY, d]])));
    expect(maxDiff(together, want)).toBeLessThan(1e-5);
    expect(maxDiff(alone, want)).toBeLessThan(1e-5);
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(1e-3); // able to fail
    const info = await reranker.info();
    expect(info).toMatchObject({ backend: 'onnxruntime-node', backendDetails: { decoderLayout: layout } });
  });
});

describe('tiny-qwen3 on the prefix graph', () => {
  it('several queries at once on two workers: every score matches the reference', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3');
    const oracle = await qwen3Oracle(dir);
    const reranker = await open1(dir, 'concurrent', {
      backends: [onnxNodeBackend({ workers: 2, threadsPerWorker: 1 })],
      batchSize: 3,
    });
    const queries = [QUERY, 'how do planets move', 'capital city of France', 'emoji'];
    const all = await Promise.all(queries.map((q) => reranker.score(DOCS.map((d) => [q, d] as const))));
    all.forEach((scores, i) => {
      expect(maxDiff(scores, expected(oracle, queries[i]!))).toBeLessThan(1e-5);
    });
    const { prefixCache } = (await reranker.info()).backendDetails as { prefixCache: { misses: number } };
    expect(prefixCache.misses).toBeGreaterThanOrEqual(queries.length);
  });

  it('reuses a prefix from the LRU: batches of one request and a repeated query hit it (counted in info())', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3');
    const oracle = await qwen3Oracle(dir);
    const reranker = await open1(dir, 'lru', { batchSize: 2 });
    const stats = async () =>
      ((await reranker.info()).backendDetails as { prefixCache: Record<string, number> }).prefixCache;
    const first = await reranker.score(DOCS.map((d) => [QUERY, d] as const));
    // 6 documents in batches of 2: the prefix is computed for the first batch, held for the others.
    expect(await stats()).toMatchObject({ misses: 1, hits: 2, entries: 1 });
    expect((await stats()).bytes).toBeGreaterThan(0);
    const again = await reranker.score(DOCS.map((d) => [QUERY, d] as const)); // pair cache is off
    expect(await stats()).toMatchObject({ misses: 1, hits: 5, entries: 1 });
    expect(again).toEqual(first);
    expect(maxDiff(again, expected(oracle, QUERY))).toBeLessThan(1e-5);
    // Another instruction is another prefix: a miss, and its own scores.
    const other = 'Given a question, find the passage that answers it';
    const instructed = await reranker.score([[QUERY, DOCS[1]!]], { instruction: other });
    expect(await stats()).toMatchObject({ misses: 2, entries: 2 });
    expect(Math.abs(instructed[0]! - oracle.score(QUERY, DOCS[1]!, other))).toBeLessThan(1e-5);
  });

  it('a prefix LRU of 0 bytes holds nothing and still scores right', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3');
    const oracle = await qwen3Oracle(dir);
    const reranker = await open1(dir, 'no-lru', {
      batchSize: 2,
      backends: [onnxNodeBackend({ workers: 1, threadsPerWorker: 1, prefixCache: { maxBytes: 0 } })],
    });
    const scores = await reranker.score(DOCS.map((d) => [QUERY, d] as const));
    expect(maxDiff(scores, expected(oracle, QUERY))).toBeLessThan(1e-5);
    const { prefixCache } = (await reranker.info()).backendDetails as { prefixCache: Record<string, number> };
    expect(prefixCache).toMatchObject({ hits: 0, misses: 3, entries: 0, bytes: 0 });
  });

  it('q8: close to the reference and the same ranking of clearly separated documents', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3');
    const oracle = await qwen3Oracle(dir);
    const reranker = await open1(dir, 'q8', { dtype: 'q8' });
    const got = await reranker.score(DOCS.map((d) => [QUERY, d] as const));
    const want = expected(oracle, QUERY);
    expect(maxDiff(got, want)).toBeLessThan(0.25);
    expect(maxDiff(got, want)).toBeGreaterThan(1e-6); // it is the int8 graph
    for (let i = 0; i < want.length; i++)
      for (let j = 0; j < want.length; j++)
        if (want[i]! - want[j]! > 0.5) expect(got[i]!).toBeGreaterThan(got[j]!);
  });

  it('with the Python backend first, loads on onnxruntime-node and the fallback reasons say why', async () => {
    const dir = await synthesizedQwen3Dir('tiny-qwen3');
    const reranker = await open1(dir, 'python-first', {
      backends: [pythonBackend({ engine: 'numpy' }), onnxNodeBackend({ workers: 1, threadsPerWorker: 1 })],
    });
    const info = await reranker.info();
    expect(info.backend).toBe('onnxruntime-node');
    expect(info.backendFallbacks).toEqual([
      { candidate: 'python:numpy', message: expect.stringMatching(/cross-encoders only.*onnxruntime-node/) },
    ]);
  });
});
