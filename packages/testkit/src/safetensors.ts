/** A tensor as read back from a safetensors file. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Parses a safetensors buffer holding F32 tensors, validating the header against the buffer. Used by
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
    if (info.dtype !== 'F32')
      throw new Error(`safetensors: ${name} has dtype ${info.dtype}; only F32 is supported`);
    const [begin, end] = info.data_offsets;
    const elements = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== elements * 4 || dataStart + end > bytes.byteLength) {
      throw new Error(`safetensors: ${name} offsets [${begin}, ${end}] do not fit shape [${info.shape}]`);
    }
    // Copy: the data region need not be 4-byte aligned within the caller's buffer.
    const data = new Float32Array(elements);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    tensors.set(name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { metadata, tensors };
}
