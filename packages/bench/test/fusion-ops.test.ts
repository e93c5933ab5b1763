import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRESETS, publishedStyleModelDir, synthesizeCrossEncoder } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { engineModelDir } from '../src/engine-model';
import { optimizedGraph, optimizedOpCounts, summarizeFusion } from '../src/fusion-ops';

// What onnxruntime-node's CPU provider runs after optimizing our built graphs (the fused graphs
// @reranker/node builds, as the benchmarks synthesize them): no attention, LayerNorm or GELU left unfused.
describe.each(['tiny', 'tiny-xlmr', 'tiny-deberta', 'tiny-modernbert'] as const)('%s', (preset) => {
  it('leaves no unfused attention, LayerNorm or GELU subgraph on the CPU provider, fp32 and q8', async () => {
    const dir = await engineModelDir(preset);
    const { numLayers } = PRESETS[preset];
    for (const file of ['model.onnx', 'model_quantized.onnx']) {
      const fusion = summarizeFusion(await optimizedOpCounts(join(dir, 'onnx', file)));
      expect(fusion.leftovers, file).toEqual({
        Softmax: 0,
        ReduceMean: 0,
        Pow: 0,
        Sqrt: 0,
        Erf: 0,
      });
      expect(fusion.leftoverTotal).toBe(0);
      expect(fusion.fused['com.microsoft:MultiHeadAttention'], file).toBe(numLayers);
      // Two norms per layer, each one kernel: LayerNormalization, or SkipLayerNormalization where
      // onnxruntime folds the residual Add in itself (it does when it can prove the shapes equal).
      const norms =
        (fusion.fused.LayerNormalization ?? 0) + (fusion.fused['com.microsoft:SkipLayerNormalization'] ?? 0);
      expect(norms, file).toBeGreaterThanOrEqual(2 * numLayers);
    }
  });
});

describe('the count can fail', () => {
  it('finds the unfused attention of a published-style export of tiny', async () => {
    const dir = await publishedStyleModelDir('tiny');
    const fusion = summarizeFusion(await optimizedOpCounts(join(dir, 'onnx', 'model.onnx')));
    const { numLayers } = PRESETS.tiny;
    // onnxruntime fuses the decomposed LayerNorms back into LayerNormalization, but not the
    // attention: one Softmax per layer.
    expect(fusion.leftovers.Softmax).toBe(numLayers);
    expect(fusion.fused.LayerNormalization).toBeGreaterThanOrEqual(2 * numLayers);
    expect(fusion.residualAdds).toBeGreaterThanOrEqual(2 * numLayers);
    expect(fusion.leftoverTotal).toBeGreaterThan(0);
    expect(fusion.fused['com.microsoft:MultiHeadAttention']).toBeUndefined();
  });

  it('counts decomposed LayerNorm and GELU nodes as leftovers', () => {
    const fusion = summarizeFusion({
      ReduceMean: 4,
      Pow: 2,
      Sqrt: 2,
      Erf: 1,
      MatMul: 9,
      'com.microsoft:Gelu': 3,
    });
    expect(fusion.leftoverTotal).toBe(9);
    expect(fusion.fused).toEqual({ 'com.microsoft:Gelu': 3 });
  });
});

describe('int8 weight storage of the graph onnxruntime runs', () => {
  it.each(['int8', 'uint8'] as const)(
    'reads %s weights from a q8 graph, none from fp32',
    async (weightType) => {
      const dir = await mkdtemp(join(tmpdir(), 'reranker-fusion-int8-'));
      try {
        await synthesizeCrossEncoder({ preset: 'tiny', outDir: dir, int8Weights: weightType });
        expect((await optimizedGraph(join(dir, 'onnx', 'model_quantized.onnx'))).int8Weights).toEqual([
          weightType,
        ]);
        expect((await optimizedGraph(join(dir, 'onnx', 'model.onnx'))).int8Weights).toEqual([]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
