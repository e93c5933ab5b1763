// How weight values become ONNX raw_data bytes.
import { endianness } from 'node:os';

const hostIsLittleEndian = endianness() === 'LE';

/**
 * ONNX raw_data is little-endian. On little-endian hosts (all we run on) this is a zero-copy view,
 * which matters: the largest models hold more than a gigabyte of weights.
 */
export function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  if (hostIsLittleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i]!, true);
    else view.setBigInt64(i * 8, data[i]!, true);
  }
  return out;
}

/** Row-major [rows, cols] -> [cols, rows]: PyTorch Linear weights are [out, in], MatMul wants [in, out]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  if (data.length !== rows * cols)
    throw new Error(`transpose2d: ${data.length} values is not ${rows}x${cols}`);
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[rowStart + c]!;
  }
  return out;
}
