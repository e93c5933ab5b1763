import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILDER_VERSION, type Operators } from '@reranker/onnx-builder';
import { afterAll, describe, expect, it } from 'vitest';
import { type PresetName, synthesizeCrossEncoder } from '../src/index';

/**
 * SHA-256 of the weight and graph files. First computed on commit a982ed1 before the ONNX writer moved
 * from the testkit to @reranker/onnx-builder (the move changed no byte); the fused graphs' hashes were
 * recomputed for builder version 2 (fused attention and GELU contrib operators) and again for
 * version 3 (attention an If: flash MultiHeadAttention without padding; GELU as standard nodes). The kit's hub folders
 * hold standard-operator graphs since (as hub exports do): their hashes were computed then, and the
 * fused ones kept for the graphs @reranker/node builds (the weights' hashes did not change; the scores
 * are checked against the reference by the parity tests). A deliberate change of the graph (new nodes,
 * other names) changes these on purpose: recompute them then, bump BUILDER_VERSION (graphs built at
 * load are cached under it) and say why in the commit.
 */
const GOLDEN_BUILDER_VERSION = '3';
const WEIGHTS: Record<string, string> = {
  'tiny@42': '355f9e755d4b8a4d7ae14aade0facd687d4bb10ec48efda140da798e61224f7e',
  'tiny-2label@42': 'e48100c91bf509cf2bea87dd46246297ac7fdc3f16cb25e1e5df66d2dd7ff59a',
  'tiny-xlmr@3': 'f8d2711edd1c6ce37e2623d347b1f76ceb6d91b5c09bbb047437bb0b91a2228c',
};
const GOLDEN: Record<string, Record<string, string>> = {
  'tiny@42 standard': {
    'onnx/model.onnx': 'a6c311a5ae5625c2c7f897826e92278f8570cb0a3a42af4b52dd5ca814deca16',
    'onnx/model_fp16.onnx': 'ae8edcb6b44eb97cff6c7d4fcbc951414fdf9b534ab719036a75639141a6ec1e',
    'onnx/model_quantized.onnx': 'caa0e9ab50a7b19b2968fa343687d9fbde51901635127715b0dfdddfb1b00793',
  },
  'tiny@42 fused': {
    'onnx/model.onnx': 'b13105f65c535b0589beaba0452ee63aa6f3fb8d9c8c7f26ae4775eb966f6947',
    'onnx/model_fp16.onnx': '9eab313749917613b020cca9e2b16f6127fe0925842ea255a207ed6ac88aa155',
    'onnx/model_quantized.onnx': 'fa1d2ae073c10979bb7d398e5c5e88da3e80f063d62c4f5e5fc959d8f044c81d',
  },
  'tiny-2label@42 standard': {
    'onnx/model.onnx': '987ba23a8fa52da57e636bfae1d644e06691cf3cbc7f05c11da2adbd4e4507d3',
    'onnx/model_fp16.onnx': '3dbe48bb43b1c37906390ca920f45862d73f7ed0053602deff40d49847307c5a',
    'onnx/model_quantized.onnx': '4b1c5f097903040caf01a270dbba443115e817c39dc821a0f1e0b357c223b819',
  },
  'tiny-2label@42 fused': {
    'onnx/model.onnx': 'f24bdd59de2662be7e0e4a04458ee48f17aef2e231dac0d2fd83c35a1573aaaf',
    'onnx/model_fp16.onnx': 'b3c9de1eaefb5ac477314edd8ee4a1e61a50509d995932138e7329e941c35646',
    'onnx/model_quantized.onnx': 'ab22c752005fd099bfaab39f8bed6a957d909a089fef4059409645e844139c65',
  },
  'tiny-xlmr@3 standard': {
    'onnx/model.onnx': '0b9a4e870c075007fd2dd0ae88d6034a328a112d1e44f39410ffdaf768eaad89',
    'onnx/model_fp16.onnx': 'd13f82c06a74117809ec128baa42ba30f4dd17c1cce141a3b01daf9e2e039b89',
    'onnx/model_quantized.onnx': 'e4d8b7908ae4a578f4acf3d83f2f036f13873999af9f834e373205ab584ecf1e',
  },
  'tiny-xlmr@3 fused': {
    'onnx/model.onnx': 'd807e8a2a67f93dc11e689fff4cb4339f6131587f680af70e913c4bbebb153d5',
    'onnx/model_fp16.onnx': '9200262be68bca29a472facad56583318d330db30d2620dbe8464d517de60c2a',
    'onnx/model_quantized.onnx': '0b78d063b5a6fee89cc065e947f9fea08a77196942f24d6fe90232ba1461c721',
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
    const [model, operators] = key.split(' ') as [string, Operators];
    const [preset, seed] = model.split('@') as [PresetName, string];
    const outDir = await mkdtemp(join(tmpdir(), 'reranker-golden-'));
    dirs.push(outDir);
    // int8 weights as signed, whatever this CPU prefers: the hashes are of those bytes.
    const layout = { operators };
    await synthesizeCrossEncoder({ preset, seed: Number(seed), outDir, int8Weights: 'int8', layout });
    const files = { 'model.safetensors': WEIGHTS[model]!, ...GOLDEN[key]! };
    for (const [file, want] of Object.entries(files)) {
      const got = createHash('sha256')
        .update(await readFile(join(outDir, file)))
        .digest('hex');
      expect(got, file).toBe(want);
    }
  });
});
