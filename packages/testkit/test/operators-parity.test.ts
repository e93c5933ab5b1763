import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOnnxModel, type HfConfig, type Operators, openCheckpoint } from '@reranker/onnx-builder';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadReferenceModel,
  maxAbsDiff,
  type PresetName,
  publishedStyleExport,
  type ReferenceModel,
  synthesizedModelDir,
} from '../src/index';
import { SeededRandom } from '../src/rng';
import { makePair, onnx, type Pair, randomIds, referenceBatch, runBatch } from './onnx-helpers';

// The builder's two operator sets (`fused`, the default: an If choosing a flash MultiHeadAttention
// when no row is padded; `standard`: ONNX operators only) and the testkit's published-style export
// (standard operators, LayerNorm decomposed, opset 14) must all give the reference forward pass's
// logits, and the same ones as each other, on padded batches and on batches without padding.
describe.each(['tiny', 'tiny-xlmr', 'tiny-deberta', 'tiny-modernbert', 'tiny-modernbert-cls'] as const)(
  '%s: fused, standard and published-style graphs',
  (preset: PresetName) => {
    const sessions: Partial<Record<Operators | 'published', ort.InferenceSession>> = {};
    const bytes: Partial<Record<Operators | 'published', Uint8Array>> = {};
    let reference: ReferenceModel;
    let pairs: Pair[];
    let unpadded: Pair[];
    beforeAll(async () => {
      const dir = await synthesizedModelDir(preset, { layout: { onnx: 'none' } });
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as HfConfig;
      const weights = await openCheckpoint(dir);
      try {
        for (const operators of ['fused', 'standard'] as const)
          bytes[operators] = await buildOnnxModel(config, weights, { operators });
      } finally {
        await weights.close();
      }
      bytes.published = await publishedStyleExport(config, dir);
      for (const [name, model] of Object.entries(bytes))
        sessions[name as Operators] = await ort.InferenceSession.create(model!);
      reference = await loadReferenceModel(dir);
      const rng = new SeededRandom(31);
      // Mixed lengths, so rows are padded and the longer ones pass ModernBERT's sliding window.
      pairs = [
        makePair(preset, randomIds(rng, 4), randomIds(rng, 40)),
        makePair(preset, randomIds(rng, 9), randomIds(rng, 3)),
        makePair(preset, randomIds(rng, 2), randomIds(rng, 17)),
      ];
      // Equal lengths: no row padded, so the fused graph takes its If's flash branch.
      unpadded = [
        makePair(preset, randomIds(rng, 5), randomIds(rng, 30)),
        makePair(preset, randomIds(rng, 5), randomIds(rng, 30)),
      ];
    });
    afterAll(async () => {
      for (const session of Object.values(sessions)) await session?.release();
    });

    it('fused picks MultiHeadAttention by padding, standard and published-style only standard ones', () => {
      const graph = (model: Uint8Array) => onnx.ModelProto.decode(model).graph!;
      const ops = (nodes: { domain?: string | null; opType?: string | null }[]) =>
        new Set(nodes.map((n) => `${n.domain || ''}:${n.opType}`));
      const fused = graph(bytes.fused!).node!;
      expect(ops(fused)).toContain(':LayerNormalization');
      const ifs = fused.filter((n) => n.opType === 'If');
      // Every layer without a positional bias (DeBERTa has one everywhere; ModernBERT's local layers).
      if (preset === 'tiny-deberta') expect(ifs).toEqual([]);
      else expect(ifs.length).toBeGreaterThan(0);
      for (const node of ifs) {
        const branch = (name: string) => node.attribute!.find((a) => a.name === name)!.g!.node!;
        const mha = branch('then_branch');
        expect(mha.map((n) => n.opType)).toEqual(['MultiHeadAttention']);
        // q, k, v only: with a mask or a bias onnxruntime's CPU kernel would not use flash attention.
        expect(mha[0]!.input).toHaveLength(3);
        expect(ops(branch('else_branch'))).toContain(':Softmax');
      }
      for (const plain of [ops(graph(bytes.standard!).node!), ops(graph(bytes.published!).node!)]) {
        expect([...plain].filter((op) => !op.startsWith(':'))).toEqual([]);
        expect(plain).toContain(':Softmax');
        expect(plain).not.toContain(':If');
      }
      expect(ops(graph(bytes.published!).node!)).not.toContain(':LayerNormalization');
      expect(ops(graph(bytes.published!).node!)).toContain(':ReduceMean');
    });

    it('without padding, fused (flash branch) gives the reference logits within 1e-4 and standard within 1e-5', async () => {
      const want = referenceBatch(reference, unpadded);
      const fused = await runBatch(sessions.fused!, preset, unpadded);
      const standard = await runBatch(sessions.standard!, preset, unpadded);
      for (const [r, row] of fused.entries()) {
        expect(maxAbsDiff(row, want[r]!), `row ${r}`).toBeLessThan(1e-4);
        expect(maxAbsDiff(row, standard[r]!), `row ${r}`).toBeLessThan(1e-5);
      }
      expect(Math.abs(want[0]![0]! - want[1]![0]!)).toBeGreaterThan(1e-3);
    });

    it('each gives the reference logits within 1e-4, and fused equals standard within 1e-5', async () => {
      const want = referenceBatch(reference, pairs);
      const got: Record<string, number[][]> = {};
      for (const name of ['fused', 'standard', 'published'] as const) {
        got[name] = await runBatch(sessions[name]!, preset, pairs);
        for (const [r, row] of got[name]!.entries())
          expect(maxAbsDiff(row, want[r]!), `${name} row ${r}`).toBeLessThan(1e-4);
      }
      for (const [r, row] of got.fused!.entries())
        expect(maxAbsDiff(row, got.standard![r]!), `row ${r}`).toBeLessThan(1e-5);
      // Able to fail: the rows' logits differ by far more than the tolerances.
      expect(Math.abs(want[0]![0]! - want[1]![0]!)).toBeGreaterThan(1e-3);
    });
  },
);
