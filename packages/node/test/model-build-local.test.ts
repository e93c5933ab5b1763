import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRerankerError, UnifiedReRanker } from '@reranker/core';
import {
  maxAbsDiff,
  type PresetName,
  referencePairScores,
  type SynthesizedLayout,
  synthesizedModelDir,
} from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { onnxNodeBackend, openLocalModel } from '../src/index';
import { rejection } from './helpers/assertions';
import { lineLogger } from './helpers/line-logger';
import { DOCS, QUERY } from './helpers/pairs';
import { useWorkspace } from './helpers/workspace';

/**
 * Local folders with safetensors but no ONNX file: the graph is built once into the model cache (never
 * into the folder), its scores match the testkit's float64 reference, and later loads reuse it.
 */

const { dir: workDir, open, load } = useWorkspace('build-local');

/** The only built graph under `cacheDir`, with its files. */
async function builtGraph(cacheDir: string): Promise<{ dir: string; files: string[] }> {
  const dirs = (await readdir(join(cacheDir, 'graphs'))).filter((name) => /^[0-9a-f]{32}$/.test(name));
  expect(dirs).toHaveLength(1);
  const dir = join(cacheDir, 'graphs', dirs[0]!);
  return { dir, files: (await readdir(join(dir, 'onnx'))).sort() };
}

const cases: [PresetName, SynthesizedLayout][] = [
  ['tiny', { onnx: 'none' }],
  ['tiny-2label', { onnx: 'none', weightsDtype: 'F16' }],
  ['tiny-xlmr', { onnx: 'none', weightsDtype: 'BF16', shards: 3 }],
];

describe.each(cases)('%s, safetensors only (%j)', (preset, layout) => {
  it('builds the graph into the cache, scores within 1e-5 of the reference, then reuses it', async () => {
    const dir = await synthesizedModelDir(preset, { layout });
    const cacheDir = join(workDir(), `${preset}-cache`);
    const first = await load({ model: dir, cacheDir });
    const expected = await referencePairScores(dir, QUERY, DOCS);
    const scores = await first.reranker.score(DOCS.map((d) => [QUERY, d] as const));
    expect(maxAbsDiff(scores, expected)).toBeLessThan(1e-5);
    expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(1e-3); // able to fail
    expect(await first.reranker.info()).toMatchObject({
      backend: 'onnxruntime-node',
      source: `local:${dir}`,
    });
    expect(first.logger.lines.filter((l) => l.startsWith('built the ONNX graph'))).toHaveLength(1);

    const graph = await builtGraph(cacheDir);
    expect(graph.files).toEqual(['model.onnx']);
    expect(await readdir(dir)).not.toContain('onnx'); // the user's folder is left as it was
    const builtAt = (await stat(join(graph.dir, 'onnx', 'model.onnx'))).mtimeMs;

    const second = await load({ model: dir, cacheDir });
    expect(await second.reranker.score(DOCS.map((d) => [QUERY, d] as const))).toEqual(scores);
    expect(second.logger.lines.filter((l) => /building|built the ONNX graph/.test(l))).toEqual([]);
    expect((await stat(join(graph.dir, 'onnx', 'model.onnx'))).mtimeMs).toBe(builtAt);
  });
});

describe('graphs built at load', () => {
  it("a pair's score does not depend on what shares its batch", async () => {
    const dir = await synthesizedModelDir('tiny-xlmr', { layout: { onnx: 'none' } });
    const { reranker } = await load({
      model: dir,
      cacheDir: join(workDir(), 'batch-cache'),
      cacheEnabled: false,
      batchSize: 8,
      maxBatchTokens: 8192,
    });
    const target = 'Cobalt is used in strong permanent magnets.';
    const [alone] = await reranker.score([[QUERY, target]]);
    const long = 'magnet '.repeat(200);
    const mixed = await reranker.score([
      [QUERY, 'short'],
      [QUERY, long],
      [QUERY, target],
      [QUERY, `${long} and more`],
    ]);
    expect(Math.abs(mixed[2]! - alone!)).toBeLessThanOrEqual(1e-5);
    const [expected] = await referencePairScores(dir, QUERY, [target]);
    expect(Math.abs(alone! - expected!)).toBeLessThan(1e-5);
  });

  it('writes external data on request, and onnxruntime-node loads it', async () => {
    const dir = await synthesizedModelDir('tiny', { layout: { onnx: 'none' } });
    const cacheDir = join(workDir(), 'external-cache');
    const files = await openLocalModel(dir, 'fp32', dir, { cacheDir, externalData: true });
    expect(Object.keys(files.localFiles ?? {}).sort()).toEqual(['onnx/model.onnx', 'onnx/model.onnx_data']);
    const data = await stat(files.localFiles!['onnx/model.onnx_data']!);
    expect((await stat(files.localFiles!['onnx/model.onnx']!)).size).toBeLessThan(data.size / 10);
    const reranker = await UnifiedReRanker.create({ model: files, backends: [onnxNodeBackend()] });
    open.push(reranker);
    const scores = await reranker.score(DOCS.map((d) => [QUERY, d] as const));
    expect(maxAbsDiff(scores, await referencePairScores(dir, QUERY, DOCS))).toBeLessThan(1e-5);
  });

  it('builds another graph when the weights change (the fingerprint is of the contents)', async () => {
    const dir = join(workDir(), 'changing');
    await cp(await synthesizedModelDir('tiny', { layout: { onnx: 'none' } }), dir, { recursive: true });
    const cacheDir = join(workDir(), 'changing-cache');
    const before = await (await load({ model: dir, cacheDir })).reranker.score([[QUERY, DOCS[0]!]]);
    const other = await synthesizedModelDir('tiny', { seed: 7, layout: { onnx: 'none' } });
    await writeFile(join(dir, 'model.safetensors'), await readFile(join(other, 'model.safetensors')));
    const after = await (await load({ model: dir, cacheDir })).reranker.score([[QUERY, DOCS[0]!]]);
    expect(after[0]).not.toBeCloseTo(before[0]!, 3);
    expect(maxAbsDiff(after, await referencePairScores(other, QUERY, [DOCS[0]!]))).toBeLessThan(1e-5);
    const graphs = (await readdir(join(cacheDir, 'graphs'))).filter((name) => /^[0-9a-f]{32}$/.test(name));
    expect(graphs).toHaveLength(2);
  });

  it('builds again over a built graph that was damaged', async () => {
    const dir = await synthesizedModelDir('tiny', { layout: { onnx: 'none' } });
    const cacheDir = join(workDir(), 'damaged-cache');
    const first = await openLocalModel(dir, 'fp32', dir, { cacheDir });
    const graph = first.localFiles!['onnx/model.onnx']!;
    await writeFile(graph, 'cut short');
    const logger = lineLogger();
    const again = await openLocalModel(dir, 'fp32', dir, { cacheDir, logger });
    expect(again.localFiles).toEqual(first.localFiles);
    expect(logger.lines.filter((l) => l.startsWith('built the ONNX graph'))).toHaveLength(1);
    const reranker = await UnifiedReRanker.create({ model: again, backends: [onnxNodeBackend()] });
    open.push(reranker);
    const scores = await reranker.score([[QUERY, DOCS[0]!]]);
    expect(maxAbsDiff(scores, await referencePairScores(dir, QUERY, [DOCS[0]!]))).toBeLessThan(1e-5);
  });

  it.each([
    ['q8', 0.08],
    ['fp16', 2e-3],
  ] as const)('builds the %s variant from the safetensors too', async (dtype, tolerance) => {
    const dir = await synthesizedModelDir('tiny', { layout: { onnx: 'none' } });
    const cacheDir = join(workDir(), `${dtype}-cache`);
    const { reranker } = await load({ model: dir, cacheDir, dtype });
    const scores = await reranker.score(DOCS.map((d) => [QUERY, d] as const));
    // The bounds the testkit measured for its own int8 and fp16 variants (see its README).
    expect(maxAbsDiff(scores, await referencePairScores(dir, QUERY, DOCS))).toBeLessThan(tolerance);
    const file = dtype === 'q8' ? 'model_quantized.onnx' : 'model_fp16.onnx';
    expect((await builtGraph(cacheDir)).files).toEqual([file]);
  });

  it('refuses a folder that has only pytorch_model.bin, naming the fix', async () => {
    const dir = join(workDir(), 'pytorch-only');
    await cp(await synthesizedModelDir('tiny', { layout: { onnx: 'none' } }), dir, { recursive: true });
    await rm(join(dir, 'model.safetensors'));
    await writeFile(join(dir, 'pytorch_model.bin'), 'a pickle we never open');
    const error = await rejection(load({ model: dir, cacheDir: join(workDir(), 'pytorch-cache') }));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('only a pickled PyTorch checkpoint (pytorch_model.bin)');
    expect(error.message).toContain('save_pretrained(path, safe_serialization=True)');
  });

  it('names the architectures it can build for an unsupported model_type', async () => {
    const dir = join(workDir(), 'electra');
    await cp(await synthesizedModelDir('tiny', { layout: { onnx: 'none' } }), dir, { recursive: true });
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, model_type: 'electra' }));
    const cacheDir = join(workDir(), 'electra-cache');
    const error = await rejection(openLocalModel(dir, 'fp32', dir, { cacheDir }));
    expect(isRerankerError(error, 'MODEL_LOAD_FAILED')).toBe(true);
    expect(error.message).toContain('model_type "electra"');
    expect(error.message).toContain('bert, xlm-roberta, deberta-v2, modernbert');
    expect(error.message).toContain('publishes an ONNX export');
    // Nothing half-built is left behind.
    expect((await readdir(join(cacheDir, 'graphs'))).filter((n) => !n.endsWith('.json'))).toEqual([]);
  });

  it("reports the build's progress with 'log'", async () => {
    const dir = await synthesizedModelDir('tiny', { layout: { onnx: 'none' } });
    const { logger } = await load({
      model: dir,
      cacheDir: join(workDir(), 'progress-cache'),
      progress: 'log',
    });
    expect(
      logger.lines.some((l) =>
        l.startsWith(`${dir} has no onnx/model.onnx: building it from model.safetensors`),
      ),
    ).toBe(true);
    expect(logger.lines.some((l) => /^built onnx\/model\.onnx: [\d.]+ MB in [\d.]+ s/.test(l))).toBe(true);
  });
});
