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
 * recomputed for builder version 2 (fused contrib operators; the weights' hashes did not change, and
 * the scores are checked against the reference by the parity tests). A deliberate change of the graph
 * (new nodes, other names) changes these on purpose: recompute them then, bump BUILDER_VERSION (graphs
 * built at load are cached under it) and say why in the commit.
 */
const GOLDEN_BUILDER_VERSION = '2';
const GOLDEN: Record<string, Record<string, string>> = {
  'tiny@42': {
    'model.safetensors': '355f9e755d4b8a4d7ae14aade0facd687d4bb10ec48efda140da798e61224f7e',
    'onnx/model.onnx': '8d13848502e6fa8f7488e954eef0aa3c0d302ab55aa40223bdb6e43213f9c85d',
    'onnx/model_fp16.onnx': '7f19484928ec0e38c6f5a56dfc4e0e4e6c74f7a8c8cb19fe46f50f20e3cc473f',
    'onnx/model_quantized.onnx': '8e823de03f38136e1bc06fa185680da74f65dbb04574dc90380394ae4cc96325',
  },
  'tiny-2label@42': {
    'model.safetensors': 'e48100c91bf509cf2bea87dd46246297ac7fdc3f16cb25e1e5df66d2dd7ff59a',
    'onnx/model.onnx': 'b96adcbbdff514f0e76aabcaf6d1296089126fffe66689b8a383645b35c7373e',
    'onnx/model_fp16.onnx': '1eb312b96d70244dcf11d91f56bcb82eff517677d81873e543e25bc68f5d47b2',
    'onnx/model_quantized.onnx': '6bd76342d951512ec8fcd1379248928f53efdaa08801fb1b711fc79dc4b19b72',
  },
  'tiny-xlmr@3': {
    'model.safetensors': 'f8d2711edd1c6ce37e2623d347b1f76ceb6d91b5c09bbb047437bb0b91a2228c',
    'onnx/model.onnx': '762696eca3566f4efdc1085472b7a4da6843eb9b493f2aa1cbb3de6625f93c3e',
    'onnx/model_fp16.onnx': 'b2710b52c6a3f937f1b0b0fbb790fd99adc53a3c56bd2b980789ebe9fa6c12cc',
    'onnx/model_quantized.onnx': 'd75240721ca9f80632dce18a29ea42cd1ac3b2846c94240cb94915059e8f4bb3',
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
    await synthesizeCrossEncoder({ preset, seed: Number(seed), outDir });
    for (const [file, want] of Object.entries(GOLDEN[key]!)) {
      const got = createHash('sha256')
        .update(await readFile(join(outDir, file)))
        .digest('hex');
      expect(got, file).toBe(want);
    }
  });
});
