/**
 * Float64 building blocks of the reference forward pass. Written from the definitions, not
 * from any runtime's kernels, so that the reference can disagree with a wrong backend.
 */

/** A matrix of `rows` vectors of length `cols`, row-major. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

export function matrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** y = x W^T + b, with W stored [out, in] as a PyTorch Linear weight. */
export function linear(x: Matrix, weight: Float64Array, bias: Float64Array, outDim: number): Matrix {
  const inDim = x.cols;
  if (weight.length !== outDim * inDim)
    throw new Error(`linear: weight has ${weight.length} values, expected ${outDim}x${inDim}`);
  const y = matrix(x.rows, outDim);
  for (let r = 0; r < x.rows; r++) {
    const xOff = r * inDim;
    for (let o = 0; o < outDim; o++) {
      const wOff = o * inDim;
      let sum = bias[o]!;
      for (let i = 0; i < inDim; i++) sum += x.data[xOff + i]! * weight[wOff + i]!;
      y.data[r * outDim + o] = sum;
    }
  }
  return y;
}

/** Normalizes each row to zero mean and unit (biased) variance, then scales and shifts. */
export function layerNorm(x: Matrix, gamma: Float64Array, beta: Float64Array, eps: number): Matrix {
  const y = matrix(x.rows, x.cols);
  for (let r = 0; r < x.rows; r++) {
    const off = r * x.cols;
    let mean = 0;
    for (let i = 0; i < x.cols; i++) mean += x.data[off + i]!;
    mean /= x.cols;
    let variance = 0;
    for (let i = 0; i < x.cols; i++) variance += (x.data[off + i]! - mean) ** 2;
    variance /= x.cols;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < x.cols; i++) y.data[off + i] = (x.data[off + i]! - mean) * inv * gamma[i]! + beta[i]!;
  }
  return y;
}

export function add(a: Matrix, b: Matrix): Matrix {
  const y = matrix(a.rows, a.cols);
  for (let i = 0; i < y.data.length; i++) y.data[i] = a.data[i]! + b.data[i]!;
  return y;
}

export function map(x: Matrix, fn: (v: number) => number): Matrix {
  const y = matrix(x.rows, x.cols);
  for (let i = 0; i < y.data.length; i++) y.data[i] = fn(x.data[i]!);
  return y;
}

/** The error function to about 1e-14: Maclaurin series near zero, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const contribution = term / (2 * n + 1);
      sum += contribution;
      if (Math.abs(contribution) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backwards.
  let k = ax;
  for (let n = 80; n >= 1; n--) k = ax + n / 2 / k;
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * k);
  return Math.sign(x) * (1 - erfc);
}

/** GELU as BERT defines it (`hidden_act: "gelu"`): the exact erf form, not the tanh approximation. */
export function gelu(v: number): number {
  return 0.5 * v * (1 + erf(v / Math.SQRT2));
}

/** Softmax of a vector, shifted by its maximum. */
export function softmax(values: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > max) max = v;
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.exp(values[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < values.length; i++) out[i] = out[i]! / sum;
  return out;
}
