import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { storeWeightsAsFloat16 } from '@reranker/onnx-builder';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadReferenceModel, maxAbsDiff, type ReferenceModel, synthesizedModelDir } from '../src/index';
import { onnx, querySet, referenceBatch, runBatch, worstTau } from './onnx-helpers';

/**
 * onnx/model_fp16.onnx computes in float32 from float16-rounded weights, so its only error is that
 * rounding. Measured against the reference on the fixed query set (seed 42, tiny / tiny-2label /
 * tiny-xlmr): max |Δ| 3.0e-4 / 3.0e-4 / 7.9e-4, worst Kendall tau 0.989 / 0.989 / 1 (near-equal
 * scores of random weights can swap).
 */
const MAX_ABS_DELTA = 2e-3;

describe.each(['tiny', 'tiny-2label', 'tiny-xlmr'] as const)('%s: onnx/model_fp16.onnx', (preset) => {
  let dir: string;
  let fp16: ort.InferenceSession;
  let fp32: ort.InferenceSession;
  let reference: ReferenceModel;
  beforeAll(async () => {
    dir = await synthesizedModelDir(preset);
    fp16 = await ort.InferenceSession.create(join(dir, 'onnx', 'model_fp16.onnx'));
    fp32 = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
    reference = await loadReferenceModel(dir);
  });

  it('has the inputs and output of the float32 model and stores its weight matrices as float16', async () => {
    expect([...fp16.inputNames].sort()).toEqual([...fp32.inputNames].sort());
    expect(fp16.outputNames).toEqual(['logits']);
    const model = onnx.ModelProto.decode(await readFile(join(dir, 'onnx', 'model_fp16.onnx')));
    const matrices = model.graph!.initializer!.filter((t) => t.dims!.length >= 2);
    expect(matrices.length).toBeGreaterThan(0);
    for (const t of matrices) expect(t.dataType, t.name!).toBe(onnx.TensorProto.DataType.FLOAT16);
    const [small, large] = await Promise.all(
      ['model_fp16.onnx', 'model.onnx'].map(async (f) => (await stat(join(dir, 'onnx', f))).size),
    );
    expect(small! / large!).toBeLessThan(0.55);
  });

  it(`stays within max |Δ| ${MAX_ABS_DELTA} of the reference and keeps its ranking`, async () => {
    const queries = querySet(preset);
    const want = queries.map((pairs) => referenceBatch(reference, pairs));
    const got = await Promise.all(queries.map((pairs) => runBatch(fp16, preset, pairs)));
    const delta = Math.max(...got.flatMap((rows, q) => rows.map((r, i) => maxAbsDiff(r, want[q]![i]!))));
    expect(delta).toBeLessThan(MAX_ABS_DELTA);
    expect(worstTau(got, want)).toBeGreaterThanOrEqual(0.95);
    // The weights really were rounded: float32 matches the reference within 1e-4, float16 does not.
    expect(delta).toBeGreaterThan(1e-5);
  });

  it("a row's logits do not depend on its batch", async () => {
    const pairs = querySet(preset)[1]!;
    const batched = await runBatch(fp16, preset, pairs);
    const single = await Promise.all(pairs.map(async (p) => (await runBatch(fp16, preset, [p]))[0]!));
    expect(Math.max(...single.map((r, i) => maxAbsDiff(r, batched[i]!)))).toBeLessThan(1e-5);
  });
});

describe('storeWeightsAsFloat16', () => {
  it('is deterministic and matches the synthesized file', async () => {
    const dir = await synthesizedModelDir('tiny');
    const fp32 = await readFile(join(dir, 'onnx', 'model.onnx'));
    const a = Buffer.from(storeWeightsAsFloat16(fp32));
    expect(a.equals(Buffer.from(storeWeightsAsFloat16(fp32)))).toBe(true);
    expect(a.equals(await readFile(join(dir, 'onnx', 'model_fp16.onnx')))).toBe(true);
  });
});
