import { type FileHandle, open, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { PlannedModel, WeightInitializer } from './initializers';
import { FLOAT, type OnnxTypes, onnx } from './proto';
import { quantizeMatrix } from './quantize';
import { littleEndianBytes, transpose2d } from './raw-data';
import { elementCount, type WeightSource } from './tensor';

/** Bytes of weight data written so far, of the total. */
export type ProgressCallback = (doneBytes: number, totalBytes: number) => void;

/** Bytes the weight initializers of a planned model hold: 4 per float32 value, 1 per int8 value. */
export function weightBytes(plan: PlannedModel): number {
  let total = 0;
  for (const init of plan.initializers) {
    if (init.kind === 'weight') total += elementCount(init.dims) * 4;
    else if (init.kind === 'int8') total += elementCount(init.weight.dims);
  }
  return total;
}

async function readWeight(init: WeightInitializer, weights: WeightSource): Promise<Float32Array> {
  if (init.rows) {
    const cols = init.dims[1]!;
    const out = new Float32Array(init.rows.length * cols);
    for (const [i, row] of init.rows.entries())
      out.set(await weights.read(init.tensor, row * cols, cols), i * cols);
    return out;
  }
  const data = await weights.read(init.tensor);
  return init.transpose ? transpose2d(data, init.transpose[0], init.transpose[1]) : data;
}

function withInitializers(plan: PlannedModel, initializer: OnnxTypes.ITensorProto[]): OnnxTypes.IModelProto {
  return { ...plan.model, graph: { ...plan.model.graph, initializer } };
}

/** The whole model as one protobuf, weights inline (`raw_data`): for models under 2 GB. */
export async function serializeInline(
  plan: PlannedModel,
  weights: WeightSource,
  onProgress?: ProgressCallback,
): Promise<Uint8Array> {
  const total = weightBytes(plan);
  let done = 0;
  const protos: OnnxTypes.ITensorProto[] = [];
  for (const init of plan.initializers) {
    if (init.kind === 'constant') {
      protos.push(init.proto);
      continue;
    }
    if (init.kind === 'int8') {
      const { weight, perChannel, weightType } = init;
      const [rows, cols] = weight.dims as [number, number];
      const data = await readWeight(weight, weights);
      protos.push(...quantizeMatrix(weight.name, data, rows, cols, perChannel, weightType));
      done += rows * cols;
      onProgress?.(done, total);
      continue;
    }
    const data = await readWeight(init, weights);
    protos.push({ name: init.name, dims: init.dims, dataType: FLOAT, rawData: littleEndianBytes(data) });
    done += data.byteLength;
    onProgress?.(done, total);
  }
  // encode() streams the raw_data views into one buffer sized up front: a single copy of the weights.
  return onnx.ModelProto.encode(withInitializers(plan, protos)).finish();
}

// Tensors start on 4 KiB boundaries, so onnxruntime can map them from the file page by page.
const ALIGNMENT = 4096;
// Tensors that need no transpose are copied in slices of this many values (64 MB): a 1 GB embedding
// table never sits in memory whole.
const SLICE = 16 * 1024 * 1024;

async function writeAt(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Writes the graph to `modelPath` and every weight to `<modelPath>_data` beside it, tensor by tensor
 * (ONNX external data: `location`, `offset`, `length` on each initializer), so neither file nears the
 * 2 GB protobuf limit and the weights never sit in memory all at once. Small constants stay inline.
 * Returns the two file names. `sliceValues` is for tests.
 */
export async function writeExternal(
  plan: PlannedModel,
  weights: WeightSource,
  modelPath: string,
  onProgress?: ProgressCallback,
  sliceValues = SLICE,
): Promise<string[]> {
  const dataName = `${basename(modelPath)}_data`;
  const total = weightBytes(plan);
  let done = 0;
  let offset = 0;
  const protos: OnnxTypes.ITensorProto[] = [];
  const handle = await open(join(dirname(modelPath), dataName), 'w');
  try {
    for (const init of plan.initializers) {
      if (init.kind === 'constant') {
        protos.push(init.proto);
        continue;
      }
      if (init.kind === 'int8') throw new Error('int8 weights are written inline, not as external data');
      offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
      const length = await writeWeight(handle, init, weights, offset, sliceValues, (bytes) => {
        done += bytes;
        onProgress?.(done, total);
      });
      protos.push(externalTensor(init, dataName, offset, length));
      offset += length;
    }
  } finally {
    await handle.close();
  }
  await writeFile(modelPath, onnx.ModelProto.encode(withInitializers(plan, protos)).finish());
  return [basename(modelPath), dataName];
}

async function writeWeight(
  handle: FileHandle,
  init: WeightInitializer,
  weights: WeightSource,
  offset: number,
  sliceValues: number,
  progress: (bytes: number) => void,
): Promise<number> {
  const count = elementCount(init.dims);
  if (init.transpose || init.rows) {
    // A Linear weight (at most a few tens of MB) is transposed whole; selected rows are small.
    const data = await readWeight(init, weights);
    await writeAt(handle, littleEndianBytes(data), offset);
    progress(data.byteLength);
    return data.byteLength;
  }
  for (let start = 0; start < count; start += sliceValues) {
    const slice = await weights.read(init.tensor, start, Math.min(sliceValues, count - start));
    await writeAt(handle, littleEndianBytes(slice), offset + start * 4);
    progress(slice.byteLength);
  }
  return count * 4;
}

function externalTensor(
  init: WeightInitializer,
  location: string,
  offset: number,
  length: number,
): OnnxTypes.ITensorProto {
  return {
    name: init.name,
    dims: init.dims,
    dataType: FLOAT,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: location },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(length) },
    ],
  };
}
