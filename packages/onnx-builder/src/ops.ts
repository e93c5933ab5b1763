import type { GraphBuilder } from './graph-builder';
import type { Params } from './params';
import { FLOAT } from './proto';

/**
 * Building blocks shared by the architectures, each emitted in the node pattern `torch.onnx.export`
 * produces for the PyTorch module it stands for, so onnxruntime's fusions see the usual shapes.
 */

/** HF's extended attention mask fills masked keys with torch.finfo(float32).min. */
const FLOAT32_MIN = -3.4028234663852886e38;

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

/** Exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), in the Div-Erf-Add-Mul-Mul form onnxruntime fuses. */
export function geluErf(g: GraphBuilder, x: string): string {
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

/**
 * softmax(q kᵀ / sqrt(dh) + mask) v for q [B, nh, S, dh], kᵀ [B, nh, dh, S], v [B, nh, S, dh], with
 * the heads merged back into [B, S, H] (`hiddenShape`).
 */
export function attention(
  g: GraphBuilder,
  q: string,
  kT: string,
  v: string,
  mask: string,
  headDim: number,
  hiddenShape: string,
): string {
  const scores = g.op('Div', [g.op('MatMul', [q, kT]), g.constFloat([Math.sqrt(headDim)])]);
  const probs = g.op('Softmax', [g.op('Add', [scores, mask])], [{ name: 'axis', int: -1 }]);
  const context = g.op('MatMul', [probs, v]);
  const merged = g.op('Transpose', [context], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
  return g.op('Reshape', [merged, hiddenShape]);
}

/** Hidden states of the first token ([CLS] / <s>): [B, S, H] -> [B, H]. */
export function firstToken(g: GraphBuilder, x: string): string {
  return g.op('Gather', [x, g.constInt64([0], [])], [{ name: 'axis', int: 1 }]);
}
