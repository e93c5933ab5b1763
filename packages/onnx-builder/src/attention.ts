import type { GraphBuilder } from './graph-builder';
import { additiveMask, splitHeads } from './ops';

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
  private unpaddedValue?: string;

  constructor(
    private readonly g: GraphBuilder,
    private readonly attentionMask: string,
  ) {}

  /** (1 - mask) * float32 min as [B, 1, 1, S], HF's extended attention mask. */
  additive(): string {
    this.additiveValue ??= additiveMask(this.g, this.attentionMask);
    return this.additiveValue;
  }

  /** A bool scalar: true when no row of the batch is padded (every mask value is 1). */
  unpadded(): string {
    this.unpaddedValue ??= this.g.op(
      'Equal',
      [
        this.g.op('ReduceMin', [this.attentionMask], [{ name: 'keepdims', int: 0 }]),
        this.g.constInt64([1], []),
      ],
      [],
      'unpadded',
    );
    return this.unpaddedValue;
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
 * softmax(q kᵀ / d + bias + mask) v per head, heads merged back into [B, S, H], as the MatMul / Div /
 * Add / Softmax / MatMul nodes of the eager PyTorch attention. Fused (padding masked, no `bias`): an If
 * takes one com.microsoft MultiHeadAttention without a mask when no row is padded — onnxruntime's
 * CPU provider runs that as flash attention, faster and without the [B, heads, S, S] scores (1 GiB per
 * head at 8192 tokens) — and the standard nodes otherwise: with a mask or a bias, MultiHeadAttention
 * takes onnxruntime's unfused path, which measured slower than the standard nodes (BENCHMARKS.md).
 */
export function multiHeadAttention(g: GraphBuilder, shapes: HeadShapes, inputs: AttentionInputs): string {
  const maskPadding = inputs.maskPadding ?? true;
  if (!g.fused || inputs.bias || !maskPadding) return standardAttention(g, shapes, inputs, maskPadding);
  const divisor = inputs.scaleDivisor ?? Math.sqrt(shapes.headDim);
  // Made out here: a value first made inside one branch would be invisible to the next layer's If.
  inputs.mask.additive();
  return g.ifElse(
    inputs.mask.unpadded(),
    () =>
      g.contrib(
        'MultiHeadAttention',
        [inputs.q, inputs.k, inputs.v],
        [
          { name: 'num_heads', int: shapes.numHeads },
          { name: 'scale', float: 1 / divisor },
        ],
        ['flash_attention'],
      )[0]!,
    () => standardAttention(g, shapes, inputs, true),
    'attention',
  );
}

function standardAttention(
  g: GraphBuilder,
  shapes: HeadShapes,
  inputs: AttentionInputs,
  maskPadding: boolean,
): string {
  const divisor = inputs.scaleDivisor ?? Math.sqrt(shapes.headDim);
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
