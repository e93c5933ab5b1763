// What a planned graph holds in place of its weights' values, until serialization reads them.
import type { Int8WeightType } from './int8-weights';
import type { OnnxTypes } from './proto';

/**
 * A float32 initializer whose values are a checkpoint tensor, read only when the model is serialized:
 * the graph is planned from tensor shapes alone, then weights stream in one at a time.
 */
export interface WeightInitializer {
  kind: 'weight';
  name: string;
  dims: number[];
  /** The checkpoint tensor it holds. */
  tensor: string;
  /** Stored transposed: the tensor is [rows, cols] (a Linear weight [out, in]). */
  transpose?: [rows: number, cols: number];
  /** Only these rows of the 2-D tensor (e.g. two rows of a vocabulary head), in this order. */
  rows?: number[];
}

/** A weight stored as int8 (dynamic quantization), quantized as it is read at serialization. */
export interface Int8Initializer {
  kind: 'int8';
  weight: WeightInitializer;
  perChannel: boolean;
  weightType: Int8WeightType;
}

/** A constant (its data already in the proto), a weight still to be read, or one to quantize. */
export type Initializer =
  | { kind: 'constant'; proto: OnnxTypes.ITensorProto }
  | WeightInitializer
  | Int8Initializer;

/** A finished graph: everything but the weights' values. */
export interface PlannedModel {
  /** The ModelProto without initializers. */
  model: OnnxTypes.IModelProto;
  /** In graph order. */
  initializers: Initializer[];
}
