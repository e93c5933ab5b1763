import { float16Bits } from './float16';
import { FLOAT, type OnnxTypes, onnx } from './proto';
import { floatData } from './quantize';

const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const FLOAT16_MAX = 65504;

/**
 * The same float32 graph with every weight matrix (rank >= 2 float initializer: Linear weights and
 * embedding tables) stored as float16 and turned back into float32 by a `Cast` node. onnxruntime
 * folds those casts when the session loads, so it computes in float32 as before: the file is about
 * half the size and the only error is the weights' rounding to float16. Biases and LayerNorm
 * parameters (a fraction of a percent of the bytes) stay float32. Takes the serialized model, or a
 * decoded one (`readExternalModel`, for float32 graphs past 2 GB), which it changes in place.
 */
export function storeWeightsAsFloat16(modelBytes: Uint8Array | OnnxTypes.IModelProto): Uint8Array {
  const model = modelBytes instanceof Uint8Array ? onnx.ModelProto.decode(modelBytes) : modelBytes;
  const graph = model.graph;
  if (!graph) throw new Error('storeWeightsAsFloat16: the model has no graph');
  const casts: OnnxTypes.INodeProto[] = [];
  graph.initializer = (graph.initializer ?? []).map((t) => {
    if (t.dataType !== FLOAT || (t.dims ?? []).length < 2) return t;
    const name = t.name ?? '';
    const data = floatData(t);
    const half = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) {
      if (Math.abs(data[i]!) > FLOAT16_MAX)
        throw new Error(`storeWeightsAsFloat16: ${name} holds ${data[i]}, beyond the float16 range`);
      half[i] = float16Bits(data[i]!);
    }
    casts.push({
      name: `${name}_cast_to_fp32`,
      opType: 'Cast',
      input: [`${name}_fp16`],
      output: [name],
      attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }],
    });
    return { name: `${name}_fp16`, dims: t.dims, dataType: FLOAT16, rawData: new Uint8Array(half.buffer) };
  });
  if (casts.length === 0) throw new Error('storeWeightsAsFloat16: no float weight matrix to convert');
  // Casts first: nodes must stay in topological order.
  graph.node = [...casts, ...(graph.node ?? [])];
  model.producerName = `${model.producerName ?? ''} (weights stored as float16)`;
  return onnx.ModelProto.encode(model).finish();
}
