import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILDER_VERSION } from '@reranker/onnx-builder';
import { afterAll, describe, expect, it } from 'vitest';
import { type PresetName, synthesizeCrossEncoder } from '../src/index';

/**
 * SHA-256 of the weight and graph files, computed on commit a982ed1 before the ONNX writer moved from
 * the testkit to @reranker/onnx-builder: the move changed no byte. A deliberate change of the graph
 * (new nodes, other names) changes these on purpose: recompute them then, bump BUILDER_VERSION (graphs
 * built at load are cached under it) and say why in the commit.
 */
const GOLDEN_BUILDER_VERSION = '1';
const GOLDEN: Record<string, Record<string, string>> = {
  'tiny@42': {
    'model.safetensors': '355f9e755d4b8a4d7ae14aade0facd687d4bb10ec48efda140da798e61224f7e',
    'onnx/model.onnx': 'a78e387f4102c8fb6be3869901c66f0350857301cb9db264cd3e1f4c0d0d6ab4',
    'onnx/model_fp16.onnx': '9521b3c1ab721bc6266b88b3961383b1870372bdd804ac35ba3a274af424f2ea',
    'onnx/model_quantized.onnx': 'a25ad7fd2a1cf060c739bc72c2b4c27245348bc76f9fa94b72a4438e705410e8',
  },
  'tiny-2label@42': {
    'model.safetensors': 'e48100c91bf509cf2bea87dd46246297ac7fdc3f16cb25e1e5df66d2dd7ff59a',
    'onnx/model.onnx': '958965be50a1b5f4ee93cb07ed7ff24b73534516a5a3778c81e12362ba8726e3',
    'onnx/model_fp16.onnx': '550b3ab59d91e9a4111dc1ec758a0bca5ef971e6f3a1758504a46dd9111f468d',
    'onnx/model_quantized.onnx': '650845d8530cd96c75337c8dc0572ad2a579dbef8520b07941466150ba815512',
  },
  'tiny-xlmr@3': {
    'model.safetensors': 'f8d2711edd1c6ce37e2623d347b1f76ceb6d91b5c09bbb047437bb0b91a2228c',
    'onnx/model.onnx': 'ab78938aedd023284ebb0cd35d37382702ccfd3e7184b232196e207ade7147fc',
    'onnx/model_fp16.onnx': '1829ffdc038d2d442c6573033bbf15e24042d3e8bb6ab6d24bdda59319c4596c',
    'onnx/model_quantized.onnx': '62225f7028004b3dbb869cddef5ded7ad4e7e37ee191af26a3b2930f65801e40',
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
