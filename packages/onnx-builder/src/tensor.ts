/** A float32 tensor under its Hugging Face parameter name; `shape` is row-major, Linear weights are [out, in]. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A checkpoint tensor's name, shape and stored dtype (safetensors names: `F32`, `F16`, `BF16`, `I64`…). */
export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: string;
}

/**
 * Where the weights come from: tensor metadata up front, values on demand, so a graph is planned from
 * shapes alone and a large checkpoint streams in one tensor (or one slice of a tensor) at a time.
 */
export interface WeightSource {
  /** Every tensor of the checkpoint by name. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /**
   * `count` values of tensor `name` as float32, from flat element `start` (default: the whole
   * tensor). F16 and BF16 are widened exactly.
   */
  read(name: string, start?: number, count?: number): Promise<Float32Array>;
  /** Releases open files. */
  close(): Promise<void>;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Tensors already in memory as a `WeightSource`; reads return views, never copies. */
export function memoryWeights(tensors: readonly NamedTensor[]): WeightSource {
  const byName = new Map<string, NamedTensor>();
  const infos = new Map<string, TensorInfo>();
  for (const t of tensors) {
    if (byName.has(t.name)) throw new Error(`duplicate tensor ${t.name}`);
    if (t.data.length !== elementCount(t.shape))
      throw new Error(
        `tensor ${t.name}: shape [${t.shape.join(', ')}] does not hold ${t.data.length} values`,
      );
    byName.set(t.name, t);
    infos.set(t.name, { name: t.name, shape: t.shape, dtype: 'F32' });
  }
  return {
    tensors: infos,
    async read(name, start = 0, count) {
      const t = byName.get(name);
      if (!t) throw new Error(`missing tensor ${name}`);
      const end = count === undefined ? t.data.length : start + count;
      if (start < 0 || end > t.data.length) throw new Error(`tensor ${name}: read past its end`);
      return start === 0 && end === t.data.length ? t.data : t.data.subarray(start, end);
    },
    async close() {},
  };
}
