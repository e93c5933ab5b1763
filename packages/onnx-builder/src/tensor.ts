/** A float32 tensor under its Hugging Face parameter name; `shape` is row-major, Linear weights are [out, in]. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}
