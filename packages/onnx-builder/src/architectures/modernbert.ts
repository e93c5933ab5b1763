import { type HeadShapes, multiHeadAttention, PaddingMask } from '../attention';
import type { GraphBuilder } from '../graph-builder';
import {
  addLayerNorm,
  FLOAT32_MIN,
  firstToken,
  gelu,
  type LinearParts,
  linear,
  linearGelu,
  linearParts,
  withBias,
} from '../ops';
import type { Params } from '../params';
import { FLOAT } from '../proto';
import { sequenceInputs } from './bert-encoder';
import { type ModernBertDims, modernBertDims } from './modernbert-config';
import type { Architecture } from './types';

/**
 * ModernBertForSequenceClassification (Alibaba-NLP/gte-reranker-modernbert-base): token embeddings
 * and a LayerNorm (no position table), pre-norm layers with rotary attention that alternates global
 * and sliding-window, a GeGLU MLP, a final norm, then pooling ([CLS] or masked mean), dense + GELU +
 * norm and the classifier. Inputs `input_ids` and `attention_mask`, as the hub's ONNX exports.
 */
export const modernBert: Architecture = {
  modelTypes: ['modernbert'],
  build(g, params, config) {
    const dims = modernBertDims(config);
    const { inputIds, attentionMask } = sequenceInputs(g, false);
    const x = encoder(g, params, dims, inputIds, attentionMask);
    const pooled = dims.pooling === 'cls' ? firstToken(g, x) : maskedMean(g, x, attentionMask);
    const h = dims.hiddenSize;
    const dense = linearGelu(g, linearParts(g, params, pooled, 'head.dense', h, h, dims.classifierBias));
    const normed = norm(g, params, dense, 'head.norm', dims);
    const labels = dims.numLabels ?? params.rows('classifier.weight');
    const logits = linear(g, params, normed, 'classifier', labels, h);
    g.output(logits, 'logits', FLOAT, ['batch_size', labels]);
  },
};

function encoder(
  g: GraphBuilder,
  params: Params,
  dims: ModernBertDims,
  inputIds: string,
  attentionMask: string,
): string {
  const h = dims.hiddenSize;
  const headDim = h / dims.numHeads;
  const inputShape = g.op('Shape', [inputIds], [], 'input_shape'); // [B, S]
  const axis0 = [{ name: 'axis', int: 0 }];
  const shapes: HeadShapes = {
    numHeads: dims.numHeads,
    headDim,
    headsShape: g.op('Concat', [inputShape, g.constInt64([dims.numHeads, headDim])], axis0),
    hiddenShape: g.op('Concat', [inputShape, g.constInt64([h])], axis0),
  };
  const seqLen = g.op('Gather', [inputShape, g.constInt64([1], [])], axis0);
  const positions = g.op('Range', [g.constInt64([0], []), seqLen, g.constInt64([1], [])], [], 'position_ids');

  const words = g.op('Gather', [
    params.get('model.embeddings.tok_embeddings.weight', [dims.vocabSize, h]),
    inputIds,
  ]);
  let x = norm(g, params, words, 'model.embeddings.norm', dims);

  const mask = new PaddingMask(g, attentionMask);
  const localMask = slidingWindowMask(g, mask.additive(), positions, dims.halfWindow); // [B, 1, S, S]
  const rotary = {
    global: rotaryTables(g, positions, headDim, dims.globalRopeTheta),
    local: rotaryTables(g, positions, headDim, dims.localRopeTheta),
  };
  // Pre-norm: each residual sum is normalized for the next sublayer, and carried on as the residual.
  const addNorm = (sublayer: LinearParts, prefix: string) => {
    const options = { prefix, size: h, eps: dims.normEps, normBias: dims.normBias, keepSum: true };
    const { out, sum } = addLayerNorm(g, params, sublayer, x, options);
    x = sum!;
    return out;
  };

  let normed = x; // Layer 0's attn_norm is nn.Identity: the embeddings were just normalized.
  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `model.layers.${i}`;
    const isGlobal = dims.globalLayers[i]!;
    const { cos, sin } = isGlobal ? rotary.global : rotary.local;
    const qkv = withBias(
      g,
      linearParts(g, params, normed, `${layer}.attn.Wqkv`, 3 * h, h, dims.attentionBias),
    );
    const part = (index: number) => lastAxisSlice(g, qkv, index * h, (index + 1) * h); // [B, S, H]
    const q = rotate(g, part(0), shapes, cos, sin);
    const k = rotate(g, part(1), shapes, cos, sin);
    const v = part(2);
    const context = isGlobal
      ? multiHeadAttention(g, shapes, { q, k, v, mask })
      : multiHeadAttention(g, shapes, { q, k, v, mask, bias: localMask, maskPadding: false });
    const attnOut = linearParts(g, params, context, `${layer}.attn.Wo`, h, h, dims.attentionBias);
    const mlpIn = addNorm(attnOut, `${layer}.mlp_norm`);

    const inter = dims.intermediateSize;
    const wi = withBias(g, linearParts(g, params, mlpIn, `${layer}.mlp.Wi`, 2 * inter, h, dims.mlpBias));
    const gated = g.op('Mul', [
      gelu(g, lastAxisSlice(g, wi, 0, inter)),
      lastAxisSlice(g, wi, inter, 2 * inter),
    ]);
    const mlpOut = linearParts(g, params, gated, `${layer}.mlp.Wo`, h, inter, dims.mlpBias);
    normed = addNorm(mlpOut, i + 1 < dims.numLayers ? `model.layers.${i + 1}.attn_norm` : 'model.final_norm');
  }
  return normed;
}

/** nn.LayerNorm with `bias=config.norm_bias` (ONNX LayerNormalization's bias input is optional). */
function norm(g: GraphBuilder, params: Params, x: string, prefix: string, dims: ModernBertDims): string {
  const h = dims.hiddenSize;
  const inputs = [x, params.get(`${prefix}.weight`, [h])];
  if (dims.normBias) inputs.push(params.get(`${prefix}.bias`, [h]));
  return g.op('LayerNormalization', inputs, [
    { name: 'axis', int: -1 },
    { name: 'epsilon', float: dims.normEps },
  ]);
}

/** x[..., start:end]. */
function lastAxisSlice(g: GraphBuilder, x: string, start: number, end: number): string {
  return g.op('Slice', [x, g.constInt64([start]), g.constInt64([end]), g.constInt64([-1])]);
}

/**
 * cos and sin of position * inv_freq, [S, 1, dh] (broadcast over [B, S, nh, dh]) with the frequencies
 * repeated for both halves (as HF's `cat((freqs, freqs))`), computed in the graph so any sequence
 * length works.
 */
function rotaryTables(g: GraphBuilder, positions: string, headDim: number, theta: number) {
  const half = headDim / 2;
  const invFreq = Array.from({ length: headDim }, (_, i) => 1 / theta ** ((2 * (i % half)) / headDim));
  const pos = g.op(
    'Cast',
    [g.op('Unsqueeze', [positions, g.constInt64([1, 2])])],
    [{ name: 'to', int: FLOAT }],
  );
  const angles = g.op('Mul', [pos, g.constFloat(invFreq, [headDim])]); // [S, 1, dh]
  return { cos: g.op('Cos', [angles]), sin: g.op('Sin', [angles]) };
}

/**
 * x * cos + rotate_half(x) * sin per head, where rotate_half(x) = cat(-x[..., dh/2:], x[..., :dh/2]),
 * for x [B, S, H] taken as [B, S, nh, dh]; returns [B, S, H] (what MultiHeadAttention takes).
 */
function rotate(g: GraphBuilder, x: string, shapes: HeadShapes, cos: string, sin: string): string {
  const heads = g.op('Reshape', [x, shapes.headsShape]);
  const half = shapes.headDim / 2;
  const first = lastAxisSlice(g, heads, 0, half);
  const second = lastAxisSlice(g, heads, half, shapes.headDim);
  const rotated = g.op('Concat', [g.op('Neg', [second]), first], [{ name: 'axis', int: -1 }]);
  const out = g.op('Add', [g.op('Mul', [heads, cos]), g.op('Mul', [rotated, sin])]);
  return g.op('Reshape', [out, shapes.hiddenShape]);
}

/**
 * The global mask with keys farther than `halfWindow` from the query also masked: [B, 1, S, S]. As
 * HF's eager path (`|i - j| <= local_attention // 2`), symmetric around the query.
 */
function slidingWindowMask(
  g: GraphBuilder,
  globalMask: string,
  positions: string,
  halfWindow: number,
): string {
  const rows = g.op('Unsqueeze', [positions, g.constInt64([1])]);
  const cols = g.op('Unsqueeze', [positions, g.constInt64([0])]);
  const distance = g.op('Abs', [g.op('Sub', [rows, cols])]); // [S, S]
  const inside = g.op('LessOrEqual', [distance, g.constInt64([halfWindow], [])]);
  const outside = g.constFloat([FLOAT32_MIN]);
  return g.op('Where', [inside, globalMask, outside], [], 'sliding_window_mask');
}

/** sum(x * mask) / sum(mask) over the sequence: [B, S, H] -> [B, H]. */
function maskedMean(g: GraphBuilder, x: string, attentionMask: string): string {
  const mask = g.op('Cast', [attentionMask], [{ name: 'to', int: FLOAT }]); // [B, S]
  const summed = g.op(
    'ReduceSum',
    [g.op('Mul', [x, g.op('Unsqueeze', [mask, g.constInt64([2])])]), g.constInt64([1])],
    [{ name: 'keepdims', int: 0 }],
  );
  const count = g.op('ReduceSum', [mask, g.constInt64([1])], [{ name: 'keepdims', int: 1 }]); // [B, 1]
  return g.op('Div', [summed, count]);
}
