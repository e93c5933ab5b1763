import { bfloat16Bits, float16Bits } from '../float16';
import { requireLittleEndian } from '../proto';
import type { NamedTensor } from '../tensor';
import { SAFETENSORS_INDEX } from './checkpoint';

/** How values are stored: float32 as given, or rounded to nearest even in a 16-bit format. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface EncodeOptions {
  /** @default 'F32' */
  dtype?: SafetensorsDtype;
}

const ALIGN = 8;

function storedBytes(t: NamedTensor, dtype: SafetensorsDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const bits = new Uint16Array(t.data.length);
  const convert = dtype === 'F16' ? float16Bits : bfloat16Bits;
  for (let i = 0; i < bits.length; i++) bits[i] = convert(t.data[i]!);
  return new Uint8Array(bits.buffer);
}

/**
 * Serializes tensors in the safetensors format: an 8-byte little-endian header length, a JSON header
 * (`dtype`, `shape`, `data_offsets` per tensor, `__metadata__`), padded with spaces to 8 bytes, then
 * the raw little-endian data in the header's order.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], options: EncodeOptions = {}): Uint8Array {
  requireLittleEndian('writing safetensors');
  const dtype = options.dtype ?? 'F32';
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const parts = tensors.map((t) => storedBytes(t, dtype));
  let offset = 0;
  tensors.forEach((t, i) => {
    const size = parts[i]!.byteLength;
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  });
  let json = JSON.stringify(header);
  const pad = (ALIGN - ((8 + new TextEncoder().encode(json).length) % ALIGN)) % ALIGN;
  json += ' '.repeat(pad);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.length;
  for (const part of parts) {
    out.set(part, cursor);
    cursor += part.byteLength;
  }
  return out;
}

/**
 * A sharded checkpoint as transformers writes it: `count` files `model-0000i-of-0000n.safetensors`
 * holding consecutive runs of the tensors (split by bytes), and `model.safetensors.index.json`.
 * Returns file name -> contents.
 */
export function encodeShardedSafetensors(
  tensors: readonly NamedTensor[],
  count: number,
  options: EncodeOptions = {},
): Map<string, Uint8Array> {
  if (!Number.isInteger(count) || count < 1 || count > tensors.length)
    throw new Error(`shard count must be an integer from 1 to ${tensors.length}, got ${count}`);
  const total = tensors.reduce((sum, t) => sum + t.data.byteLength, 0);
  const groups: NamedTensor[][] = Array.from({ length: count }, () => []);
  let seen = 0;
  let current = 0;
  tensors.forEach((t, i) => {
    // By the bytes before this tensor, one shard at a time, never leaving a shard empty.
    const byBytes = Math.min(count - 1, Math.floor((seen / total) * count));
    const mustReach = count - (tensors.length - i); // the last tensors fill the last shards
    const next = Math.min(Math.max(byBytes, mustReach), current + 1);
    if (groups[current]!.length > 0 && next > current) current = next;
    groups[current]!.push(t);
    seen += t.data.byteLength;
  });
  const pad = (n: number) => String(n).padStart(5, '0');
  const files = new Map<string, Uint8Array>();
  const weightMap: Record<string, string> = {};
  groups.forEach((group, i) => {
    const name = `model-${pad(i + 1)}-of-${pad(count)}.safetensors`;
    files.set(name, encodeSafetensors(group, options));
    for (const t of group) weightMap[t.name] = name;
  });
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  files.set(SAFETENSORS_INDEX, new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`));
  return files;
}
