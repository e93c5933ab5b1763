/**
 * Float64 pieces of the Qwen3 reference pass, written from the model definition (transformers'
 * `modeling_qwen3.py`), not from any runtime's kernels. Vectors are plain arrays of numbers in
 * row-major `[rows, cols]` layout; weights may be float32 (their values are exact in float64).
 */
type Vec = ArrayLike<number>;

/** y = x W^T for each row of x, with W stored [out, in] as a PyTorch Linear weight (no bias in Qwen3). */
export function matmulT(x: Float64Array, rows: number, weight: Vec, outDim: number): Float64Array {
  const inDim = x.length / rows;
  if (weight.length !== outDim * inDim)
    throw new Error(`matmulT: weight has ${weight.length} values, expected ${outDim}x${inDim}`);
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let sum = 0;
      for (let i = 0; i < inDim; i++) sum += x[r * inDim + i]! * weight[o * inDim + i]!;
      y[r * outDim + o] = sum;
    }
  }
  return y;
}

/** RMSNorm over each run of `width` values: x / sqrt(mean(x^2) + eps) * weight (no mean, no bias). */
export function rmsNorm(x: Vec, width: number, weight: Vec, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let off = 0; off < x.length; off += width) {
    let sumSquares = 0;
    for (let i = 0; i < width; i++) sumSquares += x[off + i]! ** 2;
    const inv = 1 / Math.sqrt(sumSquares / width + eps);
    for (let i = 0; i < width; i++) y[off + i] = x[off + i]! * inv * weight[i]!;
  }
  return y;
}

/** RoPE inverse frequencies: theta^(-2i/d) for i = 0 .. d/2 - 1. */
export function ropeInverseFrequencies(headDim: number, theta: number): Float64Array {
  const inv = new Float64Array(headDim / 2);
  for (let i = 0; i < headDim / 2; i++) inv[i] = 1 / theta ** ((2 * i) / headDim);
  return inv;
}

/**
 * Rotate-half RoPE of one head vector at `position`: the angle of pair (i, i + d/2) is position * inv[i],
 * out = x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1].
 */
export function applyRope(x: Vec, position: number, invFreq: Vec): Float64Array {
  const half = x.length / 2;
  const y = new Float64Array(x.length);
  for (let i = 0; i < half; i++) {
    const angle = position * invFreq[i]!;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    y[i] = x[i]! * cos - x[i + half]! * sin;
    y[i + half] = x[i + half]! * cos + x[i]! * sin;
  }
  return y;
}

/** The key/value head a query head reads under grouped-query attention (transformers' `repeat_kv`). */
export function kvHeadFor(head: number, numHeads: number, numKeyValueHeads: number): number {
  return Math.floor(head / (numHeads / numKeyValueHeads));
}

/**
 * Causal grouped-query attention. q: [T, heads * d], k and v: [T, kvHeads * d], already normed and
 * rotated. Position t attends to positions 0..t only, with scores scaled by 1/sqrt(d).
 */
export function causalAttention(
  q: Float64Array,
  k: Float64Array,
  v: Float64Array,
  length: number,
  numHeads: number,
  numKeyValueHeads: number,
  headDim: number,
): Float64Array {
  const out = new Float64Array(length * numHeads * headDim);
  const scale = 1 / Math.sqrt(headDim);
  const qStride = numHeads * headDim;
  const kvStride = numKeyValueHeads * headDim;
  const scores = new Float64Array(length);
  for (let h = 0; h < numHeads; h++) {
    const kvh = kvHeadFor(h, numHeads, numKeyValueHeads);
    for (let t = 0; t < length; t++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let s = 0; s <= t; s++) {
        let dot = 0;
        for (let i = 0; i < headDim; i++)
          dot += q[t * qStride + h * headDim + i]! * k[s * kvStride + kvh * headDim + i]!;
        scores[s] = dot * scale;
        if (scores[s]! > max) max = scores[s]!;
      }
      let sum = 0;
      for (let s = 0; s <= t; s++) {
        scores[s] = Math.exp(scores[s]! - max);
        sum += scores[s]!;
      }
      for (let s = 0; s <= t; s++) {
        const p = scores[s]! / sum;
        const at = t * qStride + h * headDim;
        for (let i = 0; i < headDim; i++)
          out[at + i] = out[at + i]! + p * v[s * kvStride + kvh * headDim + i]!;
      }
    }
  }
  return out;
}

/** SiLU (swish): x * sigmoid(x), Qwen3's `hidden_act`. */
export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** The logistic function 1 / (1 + e^-x), without overflow for large |x|. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
