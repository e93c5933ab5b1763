import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
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
  const { metadata, entries, dataStart } = parseHeader(view, (at, length) => bytes.subarray(at, at + length));
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, info] of entries) {
    const elements = checkEntry(name, info, dataStart, bytes.byteLength);
    tensors.set(name, decodeTensor(info, elements, view, dataStart + info.data_offsets[0]));
  }
  return { metadata, tensors };
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function parseHeader(first8: DataView, bytesAt: (at: number, length: number) => Uint8Array) {
  const headerLength = Number(first8.getBigUint64(0, true));
  const json = bytesAt(8, headerLength);
  if (json.byteLength < headerLength) throw new Error('safetensors: header length exceeds the file');
  const header = JSON.parse(new TextDecoder().decode(json)) as Record<string, HeaderEntry>;
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__');
  return { metadata, entries, dataStart: 8 + headerLength };
}

/** Checks dtype and offsets against the file; returns the element count. */
function checkEntry(name: string, info: HeaderEntry, dataStart: number, fileSize: number): number {
  const width = WIDTH[info.dtype];
  if (width === undefined)
    throw new Error(`safetensors: ${name} has dtype ${info.dtype}; only F32, F16 and BF16 are supported`);
  const [begin, end] = info.data_offsets;
  const elements = info.shape.reduce((a, b) => a * b, 1);
  if (end - begin !== elements * width || dataStart + end > fileSize) {
    throw new Error(`safetensors: ${name} offsets [${begin}, ${end}] do not fit shape [${info.shape}]`);
  }
  return elements;
}

function decodeTensor(info: HeaderEntry, elements: number, view: DataView, at: number): SafetensorsEntry {
  const width = WIDTH[info.dtype]!;
  const data = new Float32Array(elements);
  for (let i = 0; i < elements; i++) data[i] = decodeValue(info.dtype, view, at + i * width);
  return { dtype: info.dtype, shape: info.shape, data };
}

/** A safetensors file read tensor by tensor (files past 2 GiB cannot be read into one buffer). */
async function readSafetensorsFile(path: string): Promise<Map<string, SafetensorsEntry>> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    // In pieces: one read call stops short of 2 GiB.
    const readAt = async (at: number, length: number) => {
      const buffer = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, Math.min(length - done, 2 ** 30), at + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return buffer.subarray(0, done);
    };
    const first8 = await readAt(0, 8);
    if (first8.byteLength < 8) throw new Error('safetensors: file shorter than its 8-byte header length');
    const view = new DataView(first8.buffer, first8.byteOffset, 8);
    const headerLength = Number(view.getBigUint64(0, true));
    const json = await readAt(8, Math.min(headerLength, size));
    const { entries, dataStart } = parseHeader(view, () => json);
    const tensors = new Map<string, SafetensorsEntry>();
    for (const [name, info] of entries) {
      const elements = checkEntry(name, info, dataStart, size);
      const bytes = await readAt(
        dataStart + info.data_offsets[0],
        info.data_offsets[1] - info.data_offsets[0],
      );
      const region = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      tensors.set(name, decodeTensor(info, elements, region, 0));
    }
    return tensors;
  } finally {
    await handle.close();
  }
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
  if (existsSync(join(dir, 'model.safetensors'))) return readSafetensorsFile(join(dir, 'model.safetensors'));
  const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8')) as {
    weight_map: Record<string, string>;
  };
  const all = new Map<string, SafetensorsEntry>();
  for (const shard of new Set(Object.values(index.weight_map))) {
    for (const [name, entry] of await readSafetensorsFile(join(dir, shard))) all.set(name, entry);
  }
  return all;
}
