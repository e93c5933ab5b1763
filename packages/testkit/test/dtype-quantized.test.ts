import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { preferredInt8Weights, quantizeDynamicInt8 } from '@reranker/onnx-builder';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadReferenceModel,
  maxAbsDiff,
  PRESETS,
  type ReferenceModel,
  synthesizedModelDir,
} from '../src/index';
import { onnx, querySet, referenceBatch, runBatch, worstTau } from './onnx-helpers';

/**
 * Error bounds of onnx/model_quantized.onnx against the float64 reference on the fixed query set
 * (5 queries x 20 documents, each query one padded batch), set about twice the measured error.
 * Measured (seed 42, tiny / tiny-2label / tiny-xlmr): max |Δ| 0.027 / 0.042 / 0.032, worst Kendall tau
 * 0.947 / 0.926 / 0.937. Random weights give flat scores (all logits within ~0.6-1.2 of each other),
 * so quantization noise reorders close documents more than it would with trained weights.
 */
const MAX_ABS_DELTA = 0.08;
const MIN_KENDALL_TAU = 0.85;
/**
 * Dynamic quantization scales activations per call over the whole [batch, seq, hidden] tensor, pad
 * positions included, so a row's logits move with its batch: as much as the quantization error itself.
 * Measured (a query's 20 documents alone vs as one batch): 0.024 / 0.043 / 0.018.
 */
const MAX_BATCH_EFFECT = 0.08;

describe.each(['tiny', 'tiny-2label', 'tiny-xlmr'] as const)('%s: onnx/model_quantized.onnx', (preset) => {
  let dir: string;
  let int8: ort.InferenceSession;
  let fp32: ort.InferenceSession;
  let reference: ReferenceModel;
  beforeAll(async () => {
    dir = await synthesizedModelDir(preset);
    int8 = await ort.InferenceSession.create(join(dir, 'onnx', 'model_quantized.onnx'));
    fp32 = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
    reference = await loadReferenceModel(dir);
  });

  it('loads in onnxruntime with the inputs and output of the float32 model', () => {
    expect([...int8.inputNames].sort()).toEqual([...fp32.inputNames].sort());
    expect(int8.outputNames).toEqual(['logits']);
  });

  it('quantizes every Linear MatMul and nothing else', async () => {
    const model = onnx.ModelProto.decode(await readFile(join(dir, 'onnx', 'model_quantized.onnx')));
    const count = (op: string) => model.graph!.node!.filter((n) => n.opType === op).length;
    const { numLayers } = PRESETS[preset];
    // Per layer: query, key, value, attention output, intermediate, output; plus the two head Linears.
    expect(count('MatMulInteger')).toBe(6 * numLayers + 2);
    // Query, key and value share one quantized input: 4 per layer, plus one per head Linear.
    expect(count('DynamicQuantizeLinear')).toBe(4 * numLayers + 2);
    // Attention's activation-by-activation products (q·kᵀ, probabilities·v) stay float32 MatMuls:
    // the kit's hub folders hold standard operators, as hub exports do.
    expect(count('MatMul')).toBe(2 * numLayers);
    expect(count('MultiHeadAttention')).toBe(0);
    // Signed or unsigned as this CPU computes them exactly (see preferredInt8Weights).
    const stored =
      preferredInt8Weights() === 'uint8' ? onnx.TensorProto.DataType.UINT8 : onnx.TensorProto.DataType.INT8;
    const int8Weights = model.graph!.initializer!.filter((t) => t.dataType === stored);
    expect(int8Weights.filter((t) => t.dims!.length === 2)).toHaveLength(6 * numLayers + 2);
  });

  it(`stays within max |Δ| ${MAX_ABS_DELTA} and Kendall tau ${MIN_KENDALL_TAU} of the reference`, async () => {
    const queries = querySet(preset);
    const want = queries.map((pairs) => referenceBatch(reference, pairs));
    const got = await Promise.all(queries.map((pairs) => runBatch(int8, preset, pairs)));
    const delta = Math.max(...got.flatMap((rows, q) => rows.map((r, i) => maxAbsDiff(r, want[q]![i]!))));
    expect(delta).toBeLessThan(MAX_ABS_DELTA);
    expect(worstTau(got, want)).toBeGreaterThanOrEqual(MIN_KENDALL_TAU);
    // The bound must mean something: the reference's scores spread far wider than the allowed error,
    // and int8 really differs from float32 (a float32 copy would pass the bound trivially).
    const scores = want.flat(2);
    expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(5 * MAX_ABS_DELTA);
    const float = await runBatch(fp32, preset, queries[0]!);
    expect(maxAbsDiff(got[0]!.flat(), float.flat())).toBeGreaterThan(1e-4);
  });

  it(`a row's logits move with the rest of its batch, by at most ${MAX_BATCH_EFFECT}`, async () => {
    const pairs = querySet(preset)[0]!;
    const alone = (session: ort.InferenceSession) =>
      Promise.all(pairs.map(async (p) => (await runBatch(session, preset, [p]))[0]!));
    const effect = async (session: ort.InferenceSession) => {
      const [single, batched] = await Promise.all([alone(session), runBatch(session, preset, pairs)]);
      return Math.max(...single.map((r, i) => maxAbsDiff(r, batched[i]!)));
    };
    const int8Effect = await effect(int8);
    expect(int8Effect).toBeLessThan(MAX_BATCH_EFFECT);
    // True of dynamic quantization, and what callers must know: the float32 model is batch-independent,
    // the int8 one is not (the activation scale spans the whole batch, padding included).
    expect(await effect(fp32)).toBeLessThan(1e-5);
    expect(int8Effect).toBeGreaterThan(1e-5);
    // Equal batches still give equal bytes.
    expect(await runBatch(int8, preset, pairs)).toEqual(await runBatch(int8, preset, pairs));
  });
});

describe('quantizeDynamicInt8', () => {
  it('is deterministic and leaves its input untouched', async () => {
    const path = join(await synthesizedModelDir('tiny'), 'onnx', 'model.onnx');
    const fp32 = await readFile(path);
    const before = Buffer.from(fp32);
    const a = quantizeDynamicInt8(fp32);
    const b = quantizeDynamicInt8(fp32);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(fp32.equals(before)).toBe(true);
    expect(Buffer.from(a).equals(await readFile(join(path, '..', 'model_quantized.onnx')))).toBe(true);
  });

  it('with perChannel false, keeps one scale per weight and stays close to the reference', async () => {
    const dir = await synthesizedModelDir('tiny');
    const bytes = quantizeDynamicInt8(await readFile(join(dir, 'onnx', 'model.onnx')), { perChannel: false });
    const scales = onnx.ModelProto.decode(bytes).graph!.initializer!.filter((t) =>
      t.name!.endsWith('.T_scale'),
    );
    expect(scales.length).toBeGreaterThan(0);
    for (const t of scales) expect(t.dims).toEqual([]);
    const session = await ort.InferenceSession.create(bytes);
    const queries = querySet('tiny');
    const reference = await loadReferenceModel(dir);
    const want = queries.map((pairs) => referenceBatch(reference, pairs));
    const got = await Promise.all(queries.map((pairs) => runBatch(session, 'tiny', pairs)));
    const delta = Math.max(...got.flatMap((rows, q) => rows.map((r, i) => maxAbsDiff(r, want[q]![i]!))));
    // Measured 0.021 and tau 0.937: the same bounds hold.
    expect(delta).toBeLessThan(MAX_ABS_DELTA);
    expect(worstTau(got, want)).toBeGreaterThanOrEqual(MIN_KENDALL_TAU);
  });
});
