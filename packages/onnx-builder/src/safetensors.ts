import type { NamedTensor } from './tensor';

const ALIGN = 8;

/**
 * Serializes float32 tensors in the safetensors format: an 8-byte little-endian header length,
 * a JSON header (`dtype`, `shape`, `data_offsets` per tensor, `__metadata__`), padded with
 * spaces to 8 bytes, then the raw little-endian data in the header's order.
 */
export function encodeSafetensors(tensors: NamedTensor[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    const size = t.data.byteLength;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  const pad = (ALIGN - ((8 + new TextEncoder().encode(json).length) % ALIGN)) % ALIGN;
  json += ' '.repeat(pad);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), cursor);
    cursor += t.data.byteLength;
  }
  return out;
}
