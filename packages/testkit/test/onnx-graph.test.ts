import { buildOnnxModel } from '@reranker/onnx-builder';
import type { onnx as OnnxTypes } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hfConfig } from '../src/hf-config';
import { type ModelDims, PRESETS, type PresetName } from '../src/presets';
import { type ReferenceModel, referenceLogits } from '../src/reference';
import { generateWeights, type NamedTensor } from '../src/weights';
import { onnx } from './onnx-helpers';

const SEED = 1234;

interface Row {
  ids: number[];
  types?: number[];
}

/** Deterministic token ids that are never the pad id, starting with a fixed first token. */
function tokens(dims: ModelDims, length: number, salt: number): number[] {
  const ids = [dims.architecture === 'bert' ? 101 : 0];
  for (let i = 1; i < length; i++) {
    const id = 5 + ((i * 7919 + salt * 104729) % (dims.vocabSize - 5));
    ids.push(id === dims.padTokenId ? id + 1 : id);
  }
  return ids;
}

/** Pads rows to one length (pad id, mask 0, type 0) and runs the session; returns logits per row. */
async function run(session: ort.InferenceSession, dims: ModelDims, rows: Row[], padTo?: number) {
  const seq = padTo ?? Math.max(...rows.map((r) => r.ids.length));
  const ids = new BigInt64Array(rows.length * seq).fill(BigInt(dims.padTokenId));
  const mask = new BigInt64Array(rows.length * seq);
  const types = new BigInt64Array(rows.length * seq);
  rows.forEach((row, b) => {
    row.ids.forEach((id, t) => {
      ids[b * seq + t] = BigInt(id);
      mask[b * seq + t] = 1n;
      types[b * seq + t] = BigInt(row.types?.[t] ?? 0);
    });
  });
  const shape = [rows.length, seq];
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, shape),
    attention_mask: new ort.Tensor('int64', mask, shape),
  };
  if (dims.architecture === 'bert') feeds.token_type_ids = new ort.Tensor('int64', types, shape);
  const { logits } = await session.run(feeds);
  expect(logits!.dims).toEqual([rows.length, dims.numLabels]);
  const data = logits!.data as Float32Array;
  return rows.map((_, b) => Array.from(data.subarray(b * dims.numLabels, (b + 1) * dims.numLabels)));
}

function referenceModel(dims: ModelDims, tensors: NamedTensor[]): ReferenceModel {
  const id2label = Object.fromEntries(
    Array.from({ length: dims.numLabels }, (_, i) => [String(i), `LABEL_${i}`]),
  );
  return {
    config: {
      model_type: dims.architecture,
      hidden_size: dims.hiddenSize,
      num_hidden_layers: dims.numLayers,
      num_attention_heads: dims.numHeads,
      intermediate_size: dims.intermediateSize,
      layer_norm_eps: dims.layerNormEps,
      pad_token_id: dims.padTokenId,
      id2label,
    },
    params: new Map(tensors.map((t) => [t.name, Float64Array.from(t.data)])),
  };
}

const presets: PresetName[] = ['tiny', 'tiny-2label', 'tiny-xlmr'];

describe.each(presets)('buildOnnxModel(%s)', (preset) => {
  const dims: ModelDims = PRESETS[preset];
  const isBert = dims.architecture === 'bert';
  let tensors: NamedTensor[];
  let bytes: Uint8Array;
  let session: ort.InferenceSession;

  beforeAll(async () => {
    tensors = generateWeights(dims, SEED);
    bytes = await buildOnnxModel(hfConfig(dims), tensors);
    session = await ort.InferenceSession.create(bytes);
  });
  afterAll(async () => {
    await session?.release();
  });

  it('declares the inputs and output of a real export', () => {
    const expectedInputs = isBert
      ? ['input_ids', 'attention_mask', 'token_type_ids']
      : ['input_ids', 'attention_mask'];
    expect(session.inputNames).toEqual(expectedInputs);
    expect(session.outputNames).toEqual(['logits']);

    const model = onnx.ModelProto.decode(bytes);
    expect(Number(model.irVersion)).toBe(8);
    expect(model.producerName).toBe('@reranker/onnx-builder');
    // onnxruntime's contrib operators (fused attention, LayerNorm, GELU) come from com.microsoft.
    expect(model.opsetImport.map((o) => [o.domain ?? '', Number(o.version)])).toEqual([
      ['', 17],
      ['com.microsoft', 1],
    ]);
    const shapeOf = (v: OnnxTypes.IValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    for (const input of model.graph!.input!) {
      expect(input.type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.INT64);
      expect(shapeOf(input)).toEqual(['batch_size', 'sequence_length']);
    }
    const [output] = model.graph!.output!;
    expect(output!.type!.tensorType!.elemType).toBe(onnx.TensorProto.DataType.FLOAT);
    expect(shapeOf(output!)).toEqual(['batch_size', dims.numLabels]);
  });

  it('stores each parameter once (file size ~= parameter bytes)', () => {
    const paramBytes = tensors.reduce((sum, t) => sum + t.data.byteLength, 0);
    expect(bytes.byteLength).toBeGreaterThan(paramBytes);
    expect(bytes.byteLength - paramBytes).toBeLessThan(32 * 1024);
  });

  it('is byte-identical when built twice', async () => {
    const again = await buildOnnxModel(hfConfig(dims), generateWeights(dims, SEED));
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('gives padded rows the logits of the same rows unpadded', async () => {
    const rows: Row[] = [
      { ids: tokens(dims, 12, 1) },
      { ids: tokens(dims, 5, 2) },
      { ids: tokens(dims, 1, 3) }, // all keys but the first masked
    ];
    const batched = await run(session, dims, rows, 16);
    for (const [b, row] of rows.entries()) {
      const alone = (await run(session, dims, [row]))[0]!;
      for (const [j, value] of alone.entries()) {
        expect(Number.isFinite(batched[b]![j]!)).toBe(true);
        expect(Math.abs(batched[b]![j]! - value)).toBeLessThan(1e-5);
      }
    }
  });

  it('matches the float64 reference forward pass', async () => {
    const reference = referenceModel(dims, tensors);
    const rows: Row[] = [
      { ids: tokens(dims, 9, 4) },
      { ids: tokens(dims, 3, 5) },
      { ids: tokens(dims, 20, 6) },
    ];
    // BERT pairs: segment 1 for the second part.
    if (isBert) rows.push({ ids: tokens(dims, 11, 7), types: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1] });
    const got = await run(session, dims, rows);
    for (const [b, row] of rows.entries()) {
      const want = referenceLogits(reference, { inputIds: row.ids, tokenTypeIds: row.types });
      expect(want).toHaveLength(dims.numLabels);
      for (const [j, value] of want.entries()) expect(Math.abs(got[b]![j]! - value)).toBeLessThan(1e-4);
    }
  });
});
