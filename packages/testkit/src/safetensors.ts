import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A tensor as read back from a safetensors file. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Parses a safetensors buffer holding F32, F16 or BF16 tensors (widened to float32), validating the header against the buffer. Used by
 * the reference forward pass, apart from @reranker/onnx-builder's reader on purpose: the oracle reads
 * the weights on its own, so a reader bug in the builder shows up as a mismatch instead of two copies
 * agreeing.
 */
export function decodeSafetensors(bytes: Uint8Array): {
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsEntry>;
} {
  if (bytes.byteLength < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) throw new Error('safetensors: header length exceeds the file');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const dataStart = 8 + headerLength;
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const width = WIDTH[info.dtype];
    if (width === undefined)
      throw new Error(`safetensors: ${name} has dtype ${info.dtype}; only F32, F16 and BF16 are supported`);
    const [begin, end] = info.data_offsets;
    const elements = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== elements * width || dataStart + end > bytes.byteLength) {
      throw new Error(`safetensors: ${name} offsets [${begin}, ${end}] do not fit shape [${info.shape}]`);
    }
    const data = new Float32Array(elements);
    const at = dataStart + begin;
    for (let i = 0; i < elements; i++) data[i] = decodeValue(info.dtype, view, at + i * width);
    tensors.set(name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { metadata, tensors };
}

const WIDTH: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

const scratch = new DataView(new ArrayBuffer(4));

/** One little-endian value, from the IEEE 754 definitions (binary32, binary16; bfloat16 = top half of binary32). */
function decodeValue(dtype: string, view: DataView, at: number): number {
  if (dtype === 'F32') return view.getFloat32(at, true);
  const bits = view.getUint16(at, true);
  if (dtype === 'BF16') {
    scratch.setUint32(0, bits * 65536);
    return scratch.getFloat32(0);
  }
  const sign = bits >= 0x8000 ? -1 : 1;
  const exponent = Math.floor(bits / 1024) % 32;
  const fraction = bits % 1024;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Every tensor of a model folder's safetensors checkpoint: `model.safetensors`, or the shards that
 * `model.safetensors.index.json` lists.
 */
export async function readCheckpoint(dir: string): Promise<Map<string, SafetensorsEntry>> {
  if (existsSync(join(dir, 'model.safetensors')))
    return decodeSafetensors(await readFile(join(dir, 'model.safetensors'))).tensors;
  const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8')) as {
    weight_map: Record<string, string>;
  };
  const all = new Map<string, SafetensorsEntry>();
  for (const shard of new Set(Object.values(index.weight_map))) {
    const { tensors } = decodeSafetensors(await readFile(join(dir, shard)));
    for (const [name, entry] of tensors) all.set(name, entry);
  }
  return all;
}
