import { endianness } from 'node:os';
import { type Int8WeightType, preferredInt8Weights } from './int8-weights';
import { FLOAT, type OnnxTypes, onnx } from './proto';

const INT8 = onnx.TensorProto.DataType.INT8;
const UINT8 = onnx.TensorProto.DataType.UINT8;

export interface QuantizeOptions {
  /**
   * One weight scale per output column instead of one per tensor. Per-column scales follow each
   * column's own range and lose less precision (on minilm-l6: Kendall tau 0.92 against float32
   * instead of 0.87).
   * @default true
   */
  perChannel?: boolean;
  /**
   * Signed weights (zero point 0) or unsigned ones (zero point 128, the same quantized values), which
   * keep onnxruntime off its saturating kernels on x86 CPUs without VNNI (see `preferredInt8Weights`).
   * @default preferredInt8Weights(): this CPU's exact choice
   */
  weightType?: Int8WeightType;
}

/** A protobuf int64 arrives as a number or a Long (onnx-proto decodes with long.js). */
type Int64Like = number | { toNumber(): number };
const toNumber = (v: Int64Like): number => (typeof v === 'number' ? v : v.toNumber());

/**
 * Dynamic int8 quantization of a float32 ONNX model, in the node pattern of onnxruntime's
 * `quantize_dynamic` (the one Hugging Face's `model_quantized.onnx` exports use, which onnxruntime
 * fuses into one integer kernel): every MatMul whose B is a 2-D float initializer becomes
 * `DynamicQuantizeLinear(A)` -> `MatMulInteger(A_q, W_q, A_zp, W_zp)` -> `Cast` -> `Mul` by
 * `A_scale * W_scale`. Weights are quantized offline, symmetric int8 (zero point 0). Everything else
 * (embeddings, LayerNorm, biases, attention score MatMuls, softmax) stays float32.
 *
 * The activation scale is computed per call over the whole input tensor, padding included: a row's
 * logits move with the other rows of its batch, by about as much as the quantization error itself
 * (see the testkit README).
 *
 * Takes the serialized model, or a decoded one (`readExternalModel`, for float32 graphs past 2 GB),
 * which it changes in place.
 */
export function quantizeDynamicInt8(
  modelBytes: Uint8Array | OnnxTypes.IModelProto,
  options: QuantizeOptions = {},
): Uint8Array {
  const perChannel = options.perChannel ?? true;
  const weightType = options.weightType ?? preferredInt8Weights();
  const model = modelBytes instanceof Uint8Array ? onnx.ModelProto.decode(modelBytes) : modelBytes;
  const graph = model.graph;
  if (!graph) throw new Error('quantizeDynamicInt8: the model has no graph');
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const { nodes, weights } = rewriteMatMulsInt8(graph.node ?? [], (name) => {
    const t = initializers.get(name);
    return t !== undefined && isFloatMatrix(t);
  });
  const quantized = new Set(weights);
  graph.node = nodes;
  graph.initializer = [
    ...(graph.initializer ?? []).filter((t) => !quantized.has(t.name ?? '')),
    ...weights.flatMap((w) => {
      const t = initializers.get(w)!;
      const [rows, cols] = (t.dims ?? []).map((d) => toNumber(d as Int64Like)) as [number, number];
      return quantizeMatrix(w, floatData(t), rows, cols, perChannel, weightType);
    }),
  ];
  model.producerName = `${model.producerName ?? ''}${QUANTIZED_SUFFIX}`;
  return onnx.ModelProto.encode(model).finish();
}

/** Appended to `producer_name` by the int8 variants. */
export const QUANTIZED_SUFFIX = ' (quantized: dynamic int8)';

/**
 * The node rewrite of `quantizeDynamicInt8`: every MatMul whose B is a weight `isMatrix` accepts
 * becomes the DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul pattern. Returns the new nodes
 * and the weights to quantize, in order of first use (their int8 initializers follow in that order).
 */
export function rewriteMatMulsInt8(
  graphNodes: readonly OnnxTypes.INodeProto[],
  isMatrix: (name: string) => boolean,
): { nodes: OnnxTypes.INodeProto[]; weights: string[] } {
  const weights: string[] = [];
  const nodes: OnnxTypes.INodeProto[] = [];
  // One DynamicQuantizeLinear per activation, shared by its MatMuls (query/key/value read the same x).
  const quantizedActivations = new Map<string, [string, string, string]>();

  for (const node of graphNodes) {
    const [a, w] = node.input ?? [];
    if (node.opType !== 'MatMul' || a === undefined || w === undefined || !isMatrix(w)) {
      nodes.push(node);
      continue;
    }
    if (!weights.includes(w)) weights.push(w);
    let activation = quantizedActivations.get(a);
    if (!activation) {
      activation = [`${a}_quantized`, `${a}_scale`, `${a}_zero_point`];
      quantizedActivations.set(a, activation);
      nodes.push({
        name: `${a}_QuantizeLinear`,
        opType: 'DynamicQuantizeLinear',
        input: [a],
        output: activation,
      });
    }
    const [aQ, aScale, aZp] = activation;
    const base = node.name ?? w;
    const out = node.output?.[0];
    if (!out) throw new Error(`quantizeDynamicInt8: MatMul ${base} has no output`);
    nodes.push(
      {
        name: `${base}_quant`,
        opType: 'MatMulInteger',
        input: [aQ, `${w}_quantized`, aZp, `${w}_zero_point`],
        output: [`${out}_output_quantized`],
      },
      {
        name: `${base}_quant_output_scale_mul`,
        opType: 'Mul',
        input: [aScale, `${w}_scale`],
        output: [`${out}_scale`],
      },
      {
        name: `${out}_output_quantized_cast`,
        opType: 'Cast',
        input: [`${out}_output_quantized`],
        output: [`${out}_output_quantized_cast_output`],
        attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
      },
      {
        name: `${base}_quant_scale_mul`,
        opType: 'Mul',
        input: [`${out}_output_quantized_cast_output`, `${out}_scale`],
        output: [out],
      },
    );
  }
  if (weights.length === 0) throw new Error('quantizeDynamicInt8: no MatMul with a weight initializer');
  return { nodes, weights };
}

function isFloatMatrix(t: OnnxTypes.ITensorProto): boolean {
  return t.dataType === FLOAT && (t.dims ?? []).length === 2 && t.rawData != null;
}

/**
 * Float32 values of a raw_data initializer (copied: raw_data may sit at an unaligned offset). The
 * dtype variants read and write typed arrays as raw_data directly, so they need a little-endian host.
 */
export function floatData(t: OnnxTypes.ITensorProto): Float32Array {
  if (endianness() !== 'LE')
    throw new Error('the dtype variants can only be written on a little-endian host');
  const raw = t.rawData;
  if (!raw) throw new Error(`initializer ${t.name}: expected raw_data`);
  const copy = new Uint8Array(raw);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

/**
 * Symmetric int8: scale = max|w| / 127 per tensor or per column of the [in, out] matrix, zero point 0
 * (stored as uint8 + 128 with zero point 128 for `weightType` uint8).
 */
export function quantizeMatrix(
  name: string,
  data: Float32Array,
  rows: number,
  cols: number,
  perChannel: boolean,
  weightType: Int8WeightType = 'int8',
): OnnxTypes.ITensorProto[] {
  const groups = perChannel ? cols : 1;
  const maxAbs = new Float32Array(groups);
  for (let i = 0; i < data.length; i++) {
    const g = perChannel ? i % cols : 0;
    maxAbs[g] = Math.max(maxAbs[g]!, Math.abs(data[i]!));
  }
  // Math.fround: the runtime multiplies by the float32 scale, so quantize with exactly that value.
  const scales = Float32Array.from(maxAbs, (m) => Math.fround(m > 0 ? m / 127 : 1));
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    const s = scales[perChannel ? i % cols : 0]!;
    q[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / s)));
  }
  const paramDims = perChannel ? [cols] : [];
  // uint8 stores q + 128 with zero point 128: the same dequantized values as int8.
  const unsigned = weightType === 'uint8';
  const stored = unsigned ? Uint8Array.from(q, (v) => v + 128) : new Uint8Array(q.buffer);
  return [
    { name: `${name}_quantized`, dims: [rows, cols], dataType: unsigned ? UINT8 : INT8, rawData: stored },
    { name: `${name}_scale`, dims: paramDims, dataType: FLOAT, rawData: new Uint8Array(scales.buffer) },
    {
      name: `${name}_zero_point`,
      dims: paramDims,
      dataType: unsigned ? UINT8 : INT8,
      rawData: new Uint8Array(groups).fill(unsigned ? 128 : 0),
    },
  ];
}
