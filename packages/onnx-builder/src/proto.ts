import { endianness } from 'node:os';
// onnx-proto is CommonJS: a default import, then its namespace.
import onnxProto from 'onnx-proto';

export type { onnx as OnnxTypes } from 'onnx-proto';

export const { onnx } = onnxProto;

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
export const INT8 = onnx.TensorProto.DataType.INT8;
export const INT32 = onnx.TensorProto.DataType.INT32;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const BOOL = onnx.TensorProto.DataType.BOOL;

/** A protobuf int64 arrives as a number or a Long (onnx-proto decodes with long.js). */
export type Int64Like = number | { toNumber(): number };
export const toNumber = (v: Int64Like): number => (typeof v === 'number' ? v : v.toNumber());

/**
 * Weights are read and written as typed-array bytes, which are little-endian only on little-endian
 * hosts (all we run on: x64, arm64). Anything else fails loudly instead of writing swapped bytes.
 */
export function requireLittleEndian(what: string): void {
  if (endianness() !== 'LE') throw new Error(`${what} needs a little-endian host`);
}
