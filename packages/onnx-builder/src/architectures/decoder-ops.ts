import type { GraphBuilder } from '../graph-builder';
import type { Params } from '../params';
import { BOOL, FLOAT } from '../proto';

/** Building blocks of the Qwen-style decoders (pre-norm, RMSNorm, rotate-half RoPE, SwiGLU). */

/** HF fills masked attention scores with torch.finfo(float32).min; kept finite (see ops.additiveMask). */
export const FLOAT32_MIN = -3.4028234663852886e38;

/**
 * RMSNorm over the last axis: x / sqrt(mean(x²) + eps) * weight, in the Pow-ReduceMean-Add-Sqrt-Div
 * form onnxruntime fuses into SimplifiedLayerNormalization (opset 17 has no RMSNorm op).
 */
export function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  const meanSquare = g.op(
    'ReduceMean',
    [g.op('Pow', [x, g.constFloat([2])])],
    [
      { name: 'axes', ints: [-1] },
      { name: 'keepdims', int: 1 },
    ],
  );
  const rms = g.op('Sqrt', [g.op('Add', [meanSquare, g.constFloat([eps])])]);
  return g.op('Mul', [g.op('Div', [x, rms]), weight], [], 'rms_norm');
}

/** nn.Linear (weight stored transposed), with its bias only when the layer has one. */
export function linear(
  g: GraphBuilder,
  params: Params,
  x: string,
  prefix: string,
  outDim: number,
  inDim: number,
  bias: boolean,
): string {
  const product = g.op('MatMul', [x, params.linearWeight(`${prefix}.weight`, outDim, inDim)]);
  return bias ? g.op('Add', [product, params.get(`${prefix}.bias`, [outDim])]) : product;
}

/** down(silu(gate(x)) * up(x)), SiLU as x * Sigmoid(x) (what torch exports for F.silu at opset 17). */
export function swiGlu(g: GraphBuilder, params: Params, x: string, prefix: string, h: number, inter: number) {
  const gate = linear(g, params, x, `${prefix}.gate_proj`, inter, h, false);
  const up = linear(g, params, x, `${prefix}.up_proj`, inter, h, false);
  const act = g.op('Mul', [gate, g.op('Sigmoid', [gate])], [], 'silu');
  return linear(g, params, g.op('Mul', [act, up]), `${prefix}.down_proj`, h, inter, false);
}

/** cos and sin of the rotary angles, shaped to broadcast over [B, heads, S, headDim]. */
export interface Rotary {
  cos: string;
  sin: string;
}

/**
 * Rotary tables from int64 positions: [S] gives [S, dh] tables, [B, S] gives [B, 1, S, dh]. The
 * frequencies theta^(-2i/dh) are repeated for both halves, as HF's `cat((freqs, freqs))`; float32
 * angles, as transformers computes them.
 */
export function rotaryTables(
  g: GraphBuilder,
  positions: string,
  rank: 1 | 2,
  headDim: number,
  theta: number,
) {
  const half = headDim / 2;
  const invFreq = Array.from({ length: headDim }, (_, i) => 1 / theta ** ((2 * (i % half)) / headDim));
  const pos = g.op(
    'Cast',
    [g.op('Unsqueeze', [positions, g.constInt64([-1])])],
    [{ name: 'to', int: FLOAT }],
  );
  let angles = g.op('Mul', [pos, g.constFloat(invFreq, [headDim])]); // [S, dh] or [B, S, dh]
  if (rank === 2) angles = g.op('Unsqueeze', [angles, g.constInt64([1])]); // [B, 1, S, dh]
  return { cos: g.op('Cos', [angles], [], 'rope_cos'), sin: g.op('Sin', [angles], [], 'rope_sin') };
}

/** x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x[..., dh/2:], x[..., :dh/2]). */
export function rotate(g: GraphBuilder, x: string, rotary: Rotary, headDim: number): string {
  const half = headDim / 2;
  const slice = (start: number, end: number) =>
    g.op('Slice', [x, g.constInt64([start]), g.constInt64([end]), g.constInt64([-1])]);
  const rotated = g.op(
    'Concat',
    [g.op('Neg', [slice(half, headDim)]), slice(0, half)],
    [{ name: 'axis', int: -1 }],
  );
  return g.op('Add', [g.op('Mul', [x, rotary.cos]), g.op('Mul', [rotated, rotary.sin])]);
}

/** Dimension `axis` of `x`'s shape as a 1-D int64 tensor [1]. */
export function dimOf(g: GraphBuilder, x: string, axis: number, hint: string): string {
  return g.op('Slice', [g.op('Shape', [x]), g.constInt64([axis]), g.constInt64([axis + 1])], [], hint);
}

/**
 * The additive causal mask of the queries at absolute positions `queryStart + t` (t < S) against keys
 * 0..T-1 that `keyMask` (int64 [B, T]) marks real: 0 where allowed, float32 min elsewhere, [B, 1, S, T].
 * One Where, so a masked score is min plus a small number: finite, and exactly 0 after softmax.
 */
export function causalMask(g: GraphBuilder, keyMask: string, queryStart: string, seqLen: string): string {
  const zero = g.constInt64([0], []);
  const one = g.constInt64([1], []);
  const scalar = (v: string) => g.op('Squeeze', [v, g.constInt64([0])]);
  const queries = g.op('Range', [scalar(queryStart), g.op('Add', [scalar(queryStart), scalar(seqLen)]), one]);
  const total = scalar(dimOf(g, keyMask, 1, 'key_length'));
  const keys = g.op('Range', [zero, total, one]);
  const causal = g.op('LessOrEqual', [
    g.op('Unsqueeze', [keys, g.constInt64([0])]), // [1, T]
    g.op('Unsqueeze', [queries, g.constInt64([1])]), // [S, 1]
  ]); // [S, T]
  const real = g.op(
    'Cast',
    [g.op('Unsqueeze', [keyMask, g.constInt64([1, 2])])],
    [{ name: 'to', int: BOOL }],
  ); // bool [B, 1, 1, T]
  const allowed = g.op('And', [causal, real]); // [B, 1, S, T]
  return g.op('Where', [allowed, g.constFloat([0]), g.constFloat([FLOAT32_MIN])], [], 'causal_mask');
}
