import type { GraphBuilder } from './graph-builder';
import { additiveMask, FLOAT32_MIN, splitHeads } from './ops';
import { INT32 } from './proto';

/** Shape values every layer's attention shares. */
export interface HeadShapes {
  numHeads: number;
  headDim: number;
  /** [B, S, nh, dh], as an int64 shape value. */
  headsShape: string;
  /** [B, S, H], as an int64 shape value. */
  hiddenShape: string;
}

/** The [B, S] int64 attention mask in the two forms the attention paths take, each made on first use. */
export class PaddingMask {
  private additiveValue?: string;
  private keyPaddingValue?: string;

  constructor(
    private readonly g: GraphBuilder,
    private readonly attentionMask: string,
  ) {}

  /** (1 - mask) * float32 min as [B, 1, 1, S], HF's extended attention mask. */
  additive(): string {
    this.additiveValue ??= additiveMask(this.g, this.attentionMask);
    return this.additiveValue;
  }

  /** The mask as int32 [B, S], MultiHeadAttention's `key_padding_mask`. */
  keyPadding(): string {
    this.keyPaddingValue ??= this.g.op(
      'Cast',
      [this.attentionMask],
      [{ name: 'to', int: INT32 }],
      'key_padding_mask',
    );
    return this.keyPaddingValue;
  }
}

export interface AttentionInputs {
  /** Projected queries, keys and values, [B, S, H] each. */
  q: string;
  k: string;
  v: string;
  mask: PaddingMask;
  /** Also mask padded keys; off when `bias` already does. @default true */
  maskPadding?: boolean;
  /** An additive term on the scaled scores, [B, nh or 1, S, S] (relative positions, a window). */
  bias?: string;
  /** The scores q·k are divided by this. @default sqrt(headDim) */
  scaleDivisor?: number;
}

/**
 * softmax(q kᵀ / d + bias + mask) v per head, heads merged back into [B, S, H]. Fused: one
 * com.microsoft MultiHeadAttention (padding as `key_padding_mask` filled with float32 min, as HF's
 * mask; `bias` as its `attention_bias`). Standard: the MatMul / Div / Add / Softmax / MatMul nodes
 * of the eager PyTorch attention.
 */
export function multiHeadAttention(g: GraphBuilder, shapes: HeadShapes, inputs: AttentionInputs): string {
  const divisor = inputs.scaleDivisor ?? Math.sqrt(shapes.headDim);
  const maskPadding = inputs.maskPadding ?? true;
  if (g.fused) {
    const attrs = [
      { name: 'num_heads', int: shapes.numHeads },
      { name: 'scale', float: 1 / divisor },
      { name: 'mask_filter_value', float: FLOAT32_MIN },
    ];
    const padding = maskPadding ? inputs.mask.keyPadding() : '';
    const qkv = [inputs.q, inputs.k, inputs.v];
    return g.contrib('MultiHeadAttention', [...qkv, '', padding, inputs.bias ?? ''], attrs, [
      'attention',
    ])[0]!;
  }
  const q = splitHeads(g, inputs.q, shapes.headsShape, [0, 2, 1, 3]); // [B, nh, S, dh]
  const kT = splitHeads(g, inputs.k, shapes.headsShape, [0, 2, 3, 1]); // [B, nh, dh, S]
  const v = splitHeads(g, inputs.v, shapes.headsShape, [0, 2, 1, 3]);
  let scores = g.op('Div', [g.op('MatMul', [q, kT]), g.constFloat([divisor])]);
  if (inputs.bias) scores = g.op('Add', [scores, inputs.bias]);
  if (maskPadding) scores = g.op('Add', [scores, inputs.mask.additive()]);
  const probs = g.op('Softmax', [scores], [{ name: 'axis', int: -1 }]);
  const context = g.op('Transpose', [g.op('MatMul', [probs, v])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
  return g.op('Reshape', [context, shapes.hiddenShape]);
}
