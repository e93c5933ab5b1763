import { BuildError } from '../errors';
import { elementCount } from '../tensor';

/** Bytes per element of each safetensors dtype. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** A tensor's place in a safetensors file: `offset` is absolute (from the start of the file). */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  offset: number;
  byteLength: number;
}

// The reference implementation refuses headers past 100 MB: a bigger one is corrupt or hostile.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** The header length from a file's first 8 bytes, checked against the file size. */
export function headerLength(first8: Uint8Array, fileSize: number, file: string): number {
  if (first8.byteLength < 8 || fileSize < 8) throw corrupt(file, 'shorter than its 8-byte header length');
  const length = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(Math.min(MAX_HEADER_BYTES, fileSize - 8)))
    throw corrupt(file, `header length ${length} does not fit the file (${fileSize} bytes)`);
  return Number(length);
}

/**
 * Parses and checks a safetensors JSON header: every tensor has a known dtype, a shape of
 * non-negative integers, and `data_offsets` that match its size, lie inside the file and do not
 * overlap another tensor's.
 */
export function parseHeader(json: Uint8Array, fileSize: number, file: string): Map<string, TensorEntry> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (error) {
    throw corrupt(file, 'its header is not valid JSON', error);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw corrupt(file, 'its header is not a JSON object');
  const dataStart = 8 + json.byteLength;
  const entries = new Map<string, TensorEntry>();
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    entries.set(name, entry(name, info, dataStart, fileSize, file));
  }
  const sorted = [...entries.values()].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const [prev, next] = [sorted[i - 1]!, sorted[i]!];
    if (prev.offset + prev.byteLength > next.offset)
      throw corrupt(file, `tensors ${prev.name} and ${next.name} overlap`);
  }
  return entries;
}

function entry(name: string, info: unknown, dataStart: number, fileSize: number, file: string): TensorEntry {
  const { dtype, shape, data_offsets: offsets } = (info ?? {}) as Record<string, unknown>;
  if (typeof dtype !== 'string' || DTYPE_BYTES[dtype] === undefined)
    throw corrupt(file, `tensor ${name} has an unknown dtype ${JSON.stringify(dtype)}`);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount))
    throw corrupt(file, `tensor ${name} has a malformed shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount))
    throw corrupt(file, `tensor ${name} has malformed data_offsets ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as [number, number];
  const byteLength = elementCount(shape) * DTYPE_BYTES[dtype]!;
  if (end - begin !== byteLength || dataStart + end > fileSize) {
    throw corrupt(
      file,
      `tensor ${name} offsets [${begin}, ${end}] do not fit shape [${shape.join(', ')}] ${dtype} in a ${fileSize}-byte file`,
    );
  }
  return { name, dtype, shape, offset: dataStart + begin, byteLength };
}

function corrupt(file: string, what: string, cause?: unknown): BuildError {
  return new BuildError('invalid-checkpoint', `${file} is not a valid safetensors file: ${what}`, { cause });
}
