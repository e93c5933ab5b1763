import { open, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type OnnxTypes, onnx } from './proto';

// One read call stops short of 2 GiB; a tensor is read in pieces of this many bytes.
const READ_PIECE = 1 << 30;

/**
 * A model written with external data (`model.onnx` + `model.onnx_data`), decoded with every external
 * initializer's bytes read back into `raw_data`: what the dtype variants (`quantizeDynamicInt8`,
 * `storeWeightsAsFloat16`) take in place of serialized bytes when the float32 graph is past the 2 GB a
 * protobuf holds. The variants themselves fit in one protobuf (int8 or float16 matrices), so they are
 * made from this in memory and written inline. Only data files beside the graph are read.
 */
export async function readExternalModel(modelPath: string): Promise<OnnxTypes.IModelProto> {
  const model = onnx.ModelProto.decode(await readFile(modelPath));
  const handles = new Map<string, Awaited<ReturnType<typeof open>>>();
  try {
    for (const tensor of model.graph?.initializer ?? []) {
      if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
      const entries = new Map((tensor.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
      const location = entries.get('location') ?? '';
      // A location is a file name beside the graph; anything with a folder in it is refused.
      if (!location || basename(location) !== location)
        throw new Error(
          `initializer ${tensor.name}: external data location "${location}" is not a file name`,
        );
      const offset = Number(entries.get('offset') ?? 0);
      const length = Number(entries.get('length'));
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || length < 0)
        throw new Error(`initializer ${tensor.name}: external data needs an offset and a length`);
      let handle = handles.get(location);
      if (!handle) {
        handle = await open(join(dirname(modelPath), location), 'r');
        handles.set(location, handle);
      }
      const bytes = new Uint8Array(length);
      for (let done = 0; done < length; ) {
        const { bytesRead } = await handle.read(
          bytes,
          done,
          Math.min(length - done, READ_PIECE),
          offset + done,
        );
        if (bytesRead === 0)
          throw new Error(`initializer ${tensor.name}: ${location} ends before offset ${offset + length}`);
        done += bytesRead;
      }
      tensor.rawData = bytes;
      // Removed, not set to defaults: proto2 writes any field set, and the variant must come out
      // byte for byte as when made from an inline graph.
      tensor.externalData = [];
      delete tensor.dataLocation;
    }
  } finally {
    await Promise.all([...handles.values()].map((h) => h.close()));
  }
  return model;
}

/** Bytes of the initializers' raw data: whether a model fits in one protobuf. */
export function rawDataBytes(model: OnnxTypes.IModelProto): number {
  let total = 0;
  for (const t of model.graph?.initializer ?? []) total += t.rawData?.byteLength ?? 0;
  return total;
}
