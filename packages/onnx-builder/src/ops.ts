import type { GraphBuilder } from './graph-builder';
import type { Params } from './params';
import { FLOAT } from './proto';

/**
 * Building blocks shared by the architectures, as the standard nodes `torch.onnx.export` writes for
 * the PyTorch modules (the one fused block, attention, is in `./attention`).
 */

/** HF's extended attention mask fills masked keys with torch.finfo(float32).min. */
export const FLOAT32_MIN = -3.4028234663852886e38;

/** A Linear's MatMul and its bias, kept apart so a fused node can take the bias as an input. */
export interface LinearParts {
  product: string;
  bias?: string;
}

/** x W^T as a MatMul with W stored transposed, and the bias initializer (when `withBias`). */
export function linearParts(
  g: GraphBuilder,
  params: Params,
  x: string,
  prefix: string,
  outDim: number,
  inDim: number,
  withBias = true,
): LinearParts {
  const product = g.op('MatMul', [x, params.linearWeight(`${prefix}.weight`, outDim, inDim)]);
  return withBias ? { product, bias: params.get(`${prefix}.bias`, [outDim]) } : { product };
}

/** The Linear's output as one value (MatMul + Add). */
export function withBias(g: GraphBuilder, parts: LinearParts): string {
  return parts.bias ? g.op('Add', [parts.product, parts.bias]) : parts.product;
}

/** x W^T + b as MatMul + Add with W stored transposed, as torch.onnx.export emits nn.Linear. */
export function linear(
  g: GraphBuilder,
  params: Params,
  x: string,
  prefix: string,
  outDim: number,
  inDim: number,
): string {
  return g.op('Add', [
    g.op('MatMul', [x, params.linearWeight(`${prefix}.weight`, outDim, inDim)]),
    params.get(`${prefix}.bias`, [outDim]),
  ]);
}

/** nn.LayerNorm over the last axis (weight and bias of `size`). */
export function layerNorm(
  g: GraphBuilder,
  params: Params,
  x: string,
  prefix: string,
  size: number,
  eps: number,
): string {
  const attrs = [
    { name: 'axis', int: -1 },
    { name: 'epsilon', float: eps },
  ];
  return g.op(
    'LayerNormalization',
    [x, params.get(`${prefix}.weight`, [size]), params.get(`${prefix}.bias`, [size])],
    attrs,
  );
}

export interface AddNormOptions {
  /** Name prefix of the norm's `weight` and `bias`. */
  prefix: string;
  size: number;
  eps: number;
  /** Whether the norm has a bias (ModernBERT's `norm_bias: false` has none). @default true */
  normBias?: boolean;
  /** Also return the sum before the norm (pre-norm models carry it as the residual stream). */
  keepSum?: boolean;
}

/**
 * LayerNorm(sublayer + skip), the sublayer's Linear bias added first: Add nodes then one
 * LayerNormalization, with either operator set. Not com.microsoft SkipLayerNormalization, though it
 * would fold the Adds in: on onnxruntime-node 1.30's CPU provider it measured about 10% slower per
 * minilm-l6 batch than Add + LayerNormalization (CPU time, 30 alternating rounds; BENCHMARKS.md).
 * `skip` may be [S, H] against a [B, S, H] sublayer (BERT's position rows).
 */
export function addLayerNorm(
  g: GraphBuilder,
  params: Params,
  sublayer: LinearParts,
  skip: string,
  options: AddNormOptions,
): { out: string; sum: string | undefined } {
  const { prefix, size, eps } = options;
  const gamma = params.get(`${prefix}.weight`, [size]);
  const beta = (options.normBias ?? true) ? params.get(`${prefix}.bias`, [size]) : '';
  const sum = g.op('Add', [withBias(g, sublayer), skip]);
  const normInputs = beta ? [sum, gamma, beta] : [sum, gamma];
  const out = g.op('LayerNormalization', normInputs, [
    { name: 'axis', int: -1 },
    { name: 'epsilon', float: eps },
  ]);
  return { out, sum: options.keepSum ? sum : undefined };
}

/**
 * GELU(x W^T + b): Add then the Erf form with either operator set. onnxruntime's CPU provider fuses
 * it itself (BiasGelu in float32; in int8 graphs the bias joins the integer MatMul and Gelu follows,
 * which measured faster than a BiasGelu we would emit: BENCHMARKS.md).
 */
export function linearGelu(g: GraphBuilder, parts: LinearParts): string {
  return gelu(g, withBias(g, parts));
}

/**
 * Exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), in the Div-Erf-Add-Mul-Mul form onnxruntime fuses
 * into Gelu.
 */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op('Erf', [g.op('Div', [x, g.constFloat([Math.SQRT2])])]);
  const onePlus = g.op('Add', [erf, g.constFloat([1])]);
  return g.op('Mul', [g.op('Mul', [x, onePlus]), g.constFloat([0.5])], [], 'gelu');
}

/**
 * (1 - mask) * float32 min as [B, 1, 1, S] from an int64 [B, S] attention mask. Kept finite: 0 * min
 * is 0, and adding min to a finite score stays finite, so softmax (which subtracts the row max) gives
 * masked keys exactly 0.
 */
export function additiveMask(g: GraphBuilder, attentionMask: string): string {
  const mask4d = g.op('Unsqueeze', [attentionMask, g.constInt64([1, 2])]);
  const maskFloat = g.op('Cast', [mask4d], [{ name: 'to', int: FLOAT }]);
  const inverted = g.op('Sub', [g.constFloat([1]), maskFloat]);
  return g.op('Mul', [inverted, g.constFloat([FLOAT32_MIN])], [], 'extended_attention_mask');
}

/** [B, S, nh * dh] -> [B, nh, S, dh] (`perm` [0, 2, 1, 3]) or, for keys, [B, nh, dh, S] ([0, 2, 3, 1]). */
export function splitHeads(g: GraphBuilder, x: string, headsShape: string, perm: number[]): string {
  return g.op('Transpose', [g.op('Reshape', [x, headsShape])], [{ name: 'perm', ints: perm }]);
}

/** Hidden states of the first token ([CLS] / <s>): [B, S, H] -> [B, H]. */
export function firstToken(g: GraphBuilder, x: string): string {
  return g.op('Gather', [x, g.constInt64([0], [])], [{ name: 'axis', int: 1 }]);
}
