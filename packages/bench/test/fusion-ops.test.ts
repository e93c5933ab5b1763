import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ModelDims, PRESETS, publishedStyleModelDir, synthesizeCrossEncoder } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import { engineModelDir } from '../src/engine-model';
import { optimizedGraph, optimizedOpCounts, summarizeFusion } from '../src/fusion-ops';

// What onnxruntime-node's CPU provider runs after optimizing our built graphs (the graphs
// @reranker/node builds, as the benchmarks synthesize them): no LayerNorm or GELU left unfused, and
// attention as one flash MultiHeadAttention when no row is padded (the If's then-branch) wherever the
// layer has no positional bias; padded batches take the standard attention nodes (onnxruntime's
// masked MultiHeadAttention measured slower than them: BENCHMARKS.md).
function flashLayers(preset: 'tiny' | 'tiny-xlmr' | 'tiny-deberta' | 'tiny-modernbert'): number {
  const { numLayers, modernbert }: ModelDims = PRESETS[preset];
  // DeBERTa adds relative-position scores to every layer; ModernBERT's local layers add a window.
  if (preset === 'tiny-deberta') return 0;
  if (modernbert) return Math.ceil(numLayers / modernbert.globalAttnEveryNLayers);
  return numLayers;
}

describe.each(['tiny', 'tiny-xlmr', 'tiny-deberta', 'tiny-modernbert'] as const)('%s', (preset) => {
  it('fuses LayerNorm, GELU and unpadded attention on the CPU provider, fp32 and q8', async () => {
    const dir = await engineModelDir(preset);
    const { numLayers } = PRESETS[preset];
    const flash = flashLayers(preset);
    for (const file of ['model.onnx', 'model_quantized.onnx']) {
      const graph = await optimizedGraph(join(dir, 'onnx', file));
      for (const [path, counts] of [
        ['padded', graph.counts],
        ['unpadded', graph.unpaddedCounts],
      ] as const) {
        const fusion = summarizeFusion(counts);
        const what = `${file}, ${path}`;
        expect(fusion.leftovers, what).toEqual({
          Softmax: path === 'padded' ? numLayers : numLayers - flash,
          ReduceMean: 0,
          Pow: 0,
          Sqrt: 0,
          Erf: 0,
        });
        expect(fusion.fused['com.microsoft:MultiHeadAttention'] ?? 0, what).toBe(
          path === 'padded' ? 0 : flash,
        );
        expect(counts.If ?? 0, what).toBe(flash);
        // Two norms per layer, each one kernel. SkipLayerNormalization (slower here than Add +
        // LayerNormalization) at most once, where onnxruntime folds the embeddings' sum.
        const skip = fusion.fused['com.microsoft:SkipLayerNormalization'] ?? 0;
        expect(skip, what).toBeLessThanOrEqual(1);
        expect((fusion.fused.LayerNormalization ?? 0) + skip, what).toBeGreaterThanOrEqual(2 * numLayers);
      }
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
