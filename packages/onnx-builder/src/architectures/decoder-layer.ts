import type { GraphBuilder } from '../graph-builder';
import type { Params } from '../params';
import type { DecoderDims } from './decoder-config';
import { linear, type Rotary, rmsNorm, rotate, swiGlu } from './decoder-ops';

/**
 * The Qwen2/Qwen3 decoder layer (transformers' `Qwen3DecoderLayer`): x += o_proj(attention(RMSNorm(x)))
 * with per-head q/k RMSNorm (Qwen3) before rotate-half RoPE and grouped-query attention, then
 * x += SwiGLU(RMSNorm(x)). How keys from earlier calls enter the attention is the graph's choice
 * (`Attend`): the layer only hands over this call's queries, keys and values.
 *
 * Queries are grouped as [B, kv_heads, group * S, dh] (query head h reads key/value head
 * h / group, as `repeat_kv`), so one MatMul per key/value head serves its whole group and the
 * keys are never repeated in memory.
 */

export interface AttentionInputs {
  /** Scaled, rotated queries [B, kv_heads, group * S, dh] (row = group member * S + t). */
  q: string;
  /** This call's rotated keys [B, kv_heads, S, dh]. */
  k: string;
  /** This call's values [B, kv_heads, S, dh]. */
  v: string;
  layer: number;
}

export interface AttentionOutputs {
  /** [B, kv_heads, group * S, dh], rows as the queries'. */
  context: string;
  /** What the graph outputs as `present.{layer}.key` / `.value`. */
  presentKey: string;
  presentValue: string;
}

export type Attend = (inputs: AttentionInputs) => AttentionOutputs;

export interface DecoderRun {
  /** Hidden states after the last layer, before the final norm: [B, S, H]. */
  hidden: string;
  presents: { key: string; value: string }[];
}

/** Every decoder layer over the embedded tokens `x` [B, S, H]. */
export function decoderLayers(
  g: GraphBuilder,
  params: Params,
  dims: DecoderDims,
  x: string,
  rotary: Rotary,
  attend: Attend,
): DecoderRun {
  const { hiddenSize: h, numHeads: nh, numKeyValueHeads: kvh, headDim: dh, rmsNormEps: eps } = dims;
  // Reshape targets with 0 (copy that input dimension) and -1, so no shape is computed at run time.
  const split = (heads: number) => g.constInt64([0, 0, heads, dh]);
  const grouped = g.constInt64([0, kvh, -1, dh]);
  const ungrouped = g.constInt64([0, nh, -1, dh]);
  const merged = g.constInt64([0, 0, nh * dh]);
  const toHeads = (t: string) => g.op('Transpose', [t], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
  const scale = g.constFloat([1 / Math.sqrt(dh)]);

  const presents: DecoderRun['presents'] = [];
  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `model.layers.${i}`;
    const norm = (t: string, name: string, size: number) =>
      rmsNorm(g, t, params.get(`${layer}.${name}.weight`, [size]), eps);
    const project = (name: string, heads: number) => {
      const out = linear(g, params, n, `${layer}.self_attn.${name}`, heads * dh, h, dims.qkvBias);
      return g.op('Reshape', [out, split(heads)]); // [B, S, heads, dh]
    };
    const n = norm(x, 'input_layernorm', h);
    let q = project('q_proj', nh);
    let k = project('k_proj', kvh);
    if (dims.qkNorm) {
      q = norm(q, 'self_attn.q_norm', dh);
      k = norm(k, 'self_attn.k_norm', dh);
    }
    const qRotated = g.op('Mul', [rotate(g, toHeads(q), rotary, dh), scale]);
    const { context, presentKey, presentValue } = attend({
      q: g.op('Reshape', [qRotated, grouped]),
      k: rotate(g, toHeads(k), rotary, dh),
      v: toHeads(project('v_proj', kvh)),
      layer: i,
    });
    presents.push({ key: presentKey, value: presentValue });
    const heads = toHeads(g.op('Reshape', [context, ungrouped])); // [B, S, nh, dh]
    const attnOut = linear(
      g,
      params,
      g.op('Reshape', [heads, merged]),
      `${layer}.self_attn.o_proj`,
      h,
      nh * dh,
      dims.outBias,
    );
    x = g.op('Add', [x, attnOut], [], 'residual');
    const mlp = swiGlu(
      g,
      params,
      norm(x, 'post_attention_layernorm', h),
      `${layer}.mlp`,
      h,
      dims.intermediateSize,
    );
    x = g.op('Add', [x, mlp], [], 'residual');
  }
  return { hidden: x, presents };
}

const transposeKeys = (g: GraphBuilder, k: string) =>
  g.op('Transpose', [k], [{ name: 'perm', ints: [0, 1, 3, 2] }]);

const softmax = (g: GraphBuilder, scores: string) => g.op('Softmax', [scores], [{ name: 'axis', int: -1 }]);

/**
 * Attention against a shared prefix: past keys/values of batch 1 [1, kvh, P, dh] broadcast to every
 * row by MatMul (never copied per row), and the row's own tokens under `ownMask` [B, 1, group * S, S].
 * One softmax over [past | own], then the two weighted sums. The presents are this call's own keys
 * and values only.
 */
export function prefixAttention(
  g: GraphBuilder,
  past: (layer: number) => { key: string; value: string },
  ownMask: string,
  pastLength: string,
): Attend {
  const end = g.constInt64([2 ** 62]);
  const lastAxis = g.constInt64([-1]);
  return ({ q, k, v, layer }) => {
    const { key, value } = past(layer);
    const scoresPast = g.op('MatMul', [q, transposeKeys(g, key)]); // [B, kvh, gS, P]
    const scoresOwn = g.op('Add', [g.op('MatMul', [q, transposeKeys(g, k)]), ownMask]); // [B, kvh, gS, S]
    const probs = softmax(g, g.op('Concat', [scoresPast, scoresOwn], [{ name: 'axis', int: -1 }]));
    const probsPast = g.op('Slice', [probs, g.constInt64([0]), pastLength, lastAxis]);
    const probsOwn = g.op('Slice', [probs, pastLength, end, lastAxis]);
    const context = g.op('Add', [g.op('MatMul', [probsPast, value]), g.op('MatMul', [probsOwn, v])]);
    return { context, presentKey: k, presentValue: v };
  };
}

/**
 * The usual KV-cache attention (onnx-community exports): past [B, kvh, P, dh] and this call's keys
 * concatenated, scores under `mask` [B, 1, group * S, P + S]; the presents are the concatenations.
 */
export function concatAttention(
  g: GraphBuilder,
  past: (layer: number) => { key: string; value: string },
  mask: string,
): Attend {
  return ({ q, k, v, layer }) => {
    const { key, value } = past(layer);
    const keys = g.op('Concat', [key, k], [{ name: 'axis', int: 2 }], 'present_key');
    const values = g.op('Concat', [value, v], [{ name: 'axis', int: 2 }], 'present_value');
    const probs = softmax(g, g.op('Add', [g.op('MatMul', [q, transposeKeys(g, keys)]), mask]));
    return { context: g.op('MatMul', [probs, values]), presentKey: keys, presentValue: values };
  };
}
