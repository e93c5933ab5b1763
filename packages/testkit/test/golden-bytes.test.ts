import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILDER_VERSION } from '@reranker/onnx-builder';
import { afterAll, describe, expect, it } from 'vitest';
import { type PresetName, synthesizeCrossEncoder } from '../src/index';

/**
 * SHA-256 of the weight and graph files. First computed on commit a982ed1 before the ONNX writer moved
 * from the testkit to @reranker/onnx-builder (the move changed no byte); the graphs' hashes were
 * recomputed for builder version 2 (fused attention and GELU contrib operators; the weights' hashes did not change, and
 * the scores are checked against the reference by the parity tests). A deliberate change of the graph
 * (new nodes, other names) changes these on purpose: recompute them then, bump BUILDER_VERSION (graphs
 * built at load are cached under it) and say why in the commit.
 */
const GOLDEN_BUILDER_VERSION = '2';
const GOLDEN: Record<string, Record<string, string>> = {
  'tiny@42': {
    'model.safetensors': '355f9e755d4b8a4d7ae14aade0facd687d4bb10ec48efda140da798e61224f7e',
    'onnx/model.onnx': 'f78fa53dde8c92c2acf813694b4fa0dd2de5823543b88f8a5dc2e59e2c24c15a',
    'onnx/model_fp16.onnx': '34984c539580bc2705b9453b8aaf1ff46ddae735c28f7c82330006c67c0fbe5b',
    'onnx/model_quantized.onnx': '6b34533e9d6c08ae71ebfd8b91519322f67b97ed020bb0a1c87554a8a0b22a1f',
  },
  'tiny-2label@42': {
    'model.safetensors': 'e48100c91bf509cf2bea87dd46246297ac7fdc3f16cb25e1e5df66d2dd7ff59a',
    'onnx/model.onnx': 'cc29a695f600c6aec2abee73fe316a84053c9fe68d17b950f6076d0eafbf43b3',
    'onnx/model_fp16.onnx': '66d27df88988c218342d832ca486ae7c7743d169f1c6e317765c0985570d97f2',
    'onnx/model_quantized.onnx': '7f95cdb029d0ebe9190b505d2686953680a19a44043d8d4dfcd9411b36779868',
  },
  'tiny-xlmr@3': {
    'model.safetensors': 'f8d2711edd1c6ce37e2623d347b1f76ceb6d91b5c09bbb047437bb0b91a2228c',
    'onnx/model.onnx': '31f27b443bb60d651ef9374d045dca3fccd2a96022097b4b7c524a1074b8bda1',
    'onnx/model_fp16.onnx': 'baced56ef70ab714be7b75df7df5d69f379d57897e5c8cf9aa088d907f5fd535',
    'onnx/model_quantized.onnx': '7f934b5cff18aa73c1d2e542d0604ae4867c62f2396b2d48c93f4965d0078b04',
  },
};

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('synthesized files are byte-identical to those of the testkit before the builder moved', () => {
  it('the hashes belong to this builder version', () => {
    expect(BUILDER_VERSION).toBe(GOLDEN_BUILDER_VERSION);
  });

  it.each(Object.keys(GOLDEN))('%s', async (key) => {
    const [preset, seed] = key.split('@') as [PresetName, string];
    const outDir = await mkdtemp(join(tmpdir(), 'reranker-golden-'));
    dirs.push(outDir);
    // int8 weights as signed, whatever this CPU prefers: the hashes are of those bytes.
    await synthesizeCrossEncoder({ preset, seed: Number(seed), outDir, int8Weights: 'int8' });
    for (const [file, want] of Object.entries(GOLDEN[key]!)) {
      const got = createHash('sha256')
        .update(await readFile(join(outDir, file)))
        .digest('hex');
      expect(got, file).toBe(want);
    }
  });
});
