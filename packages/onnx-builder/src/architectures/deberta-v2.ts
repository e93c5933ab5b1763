import { type HeadShapes, multiHeadAttention, PaddingMask } from '../attention';
import type { GraphBuilder } from '../graph-builder';
import { addLayerNorm, firstToken, layerNorm, linear, linearGelu, linearParts, splitHeads } from '../ops';
import type { Params } from '../params';
import { FLOAT, INT64 } from '../proto';
import { layerTail, sequenceInputs } from './bert-encoder';
import { type DebertaDims, debertaDims } from './deberta-v2-config';
import type { Architecture } from './types';

/**
 * DebertaV2ForSequenceClassification (DeBERTa-v3: mixedbread-ai/mxbai-rerank-xsmall/base/large-v1):
 * word embeddings only (no absolute positions), disentangled self-attention whose scores add
 * content-to-position and position-to-content terms over log-bucketed relative positions, the
 * relative embeddings projected by the content query/key weights (`share_att_key`), and the
 * ContextPooler (dense + GELU on [CLS]) before the classifier. The bucket tables are computed in the
 * graph from the sequence length, so any length works.
 */
export const debertaV2: Architecture = {
  modelTypes: ['deberta-v2'],
  build(g, params, config) {
    const dims = debertaDims(config);
    const { inputIds, attentionMask, tokenTypeIds } = sequenceInputs(g, dims.typeVocabSize > 0);
    const h = dims.hiddenSize;
    const inputShape = g.op('Shape', [inputIds], [], 'input_shape'); // [B, S]

    // Embeddings: words (+ token types), LayerNorm, then zeroed at padding as the definition does.
    const emb = 'deberta.embeddings';
    const words = g.op('Gather', [
      params.get(`${emb}.word_embeddings.weight`, [dims.vocabSize, h]),
      inputIds,
    ]);
    let x: string;
    if (tokenTypeIds) {
      const table = params.get(`${emb}.token_type_embeddings.weight`, [dims.typeVocabSize, h]);
      const tokenTypes = g.op('Gather', [table, tokenTypeIds]);
      const norm = { prefix: `${emb}.LayerNorm`, size: h, eps: dims.layerNormEps };
      x = addLayerNorm(g, params, { product: words }, tokenTypes, norm).out;
    } else x = layerNorm(g, params, words, `${emb}.LayerNorm`, h, dims.layerNormEps);
    const maskFloat = g.op('Cast', [attentionMask], [{ name: 'to', int: FLOAT }]);
    x = g.op('Mul', [x, g.op('Unsqueeze', [maskFloat, g.constInt64([2])])]);

    // Relative embeddings [2 * span, H], normalized once for every layer.
    let rel = params.get('deberta.encoder.rel_embeddings.weight', [2 * dims.span, h]);
    if (dims.normRelEmbeddings)
      rel = layerNorm(g, params, rel, 'deberta.encoder.LayerNorm', h, dims.layerNormEps);

    const ctx = attentionContext(g, dims, inputShape);
    const mask = new PaddingMask(g, attentionMask);
    for (let i = 0; i < dims.numLayers; i++) {
      const layer = `deberta.encoder.layer.${i}`;
      const context = disentangledAttention(g, params, dims, ctx, x, rel, mask, `${layer}.attention.self`);
      x = layerTail(g, params, dims, layer, context, x);
    }

    // ContextPooler: dense + pooler_hidden_act (GELU) on the first token, then the classifier.
    const labels = dims.numLabels ?? params.rows('classifier.weight');
    const pooled = linearGelu(g, linearParts(g, params, firstToken(g, x), 'pooler.dense', h, h));
    const logits = linear(g, params, pooled, 'classifier', labels, h);
    g.output(logits, 'logits', FLOAT, ['batch_size', labels]);
  },
};

/** Values every layer's attention shares: head shapes, the score shape and the bucket index tables. */
interface AttentionContext {
  shapes: HeadShapes;
  /** [B, nh, S, S], for expanding the [S, S] index tables. */
  scoreShape: string;
  /** Bucket index of position(i, j) + span, clamped: [S, S]. */
  c2pIndex: string;
  /** Bucket index of -position(i, j) + span, clamped: [S, S] (gathered per key row, then transposed). */
  p2cIndex: string;
}

function attentionContext(g: GraphBuilder, dims: DebertaDims, inputShape: string): AttentionContext {
  const headDim = dims.hiddenSize / dims.numHeads;
  const axis0 = [{ name: 'axis', int: 0 }];
  const batch = g.op('Gather', [inputShape, g.constInt64([0])], axis0); // [1]
  const seq = g.op('Gather', [inputShape, g.constInt64([1])], axis0); // [1]
  const headsShape = g.op('Concat', [inputShape, g.constInt64([dims.numHeads, headDim])], axis0);
  const hiddenShape = g.op('Concat', [inputShape, g.constInt64([dims.hiddenSize])], axis0);
  const scoreShape = g.op('Concat', [batch, g.constInt64([dims.numHeads]), seq, seq], axis0);

  const seqScalar = g.op('Gather', [inputShape, g.constInt64([1], [])], axis0);
  const ids = g.op('Range', [g.constInt64([0], []), seqScalar, g.constInt64([1], [])]);
  let rel = g.op('Sub', [
    g.op('Unsqueeze', [ids, g.constInt64([1])]),
    g.op('Unsqueeze', [ids, g.constInt64([0])]),
  ]); // [S, S], i - j
  if (dims.positionBuckets > 0) rel = logBuckets(g, rel, dims.positionBuckets, dims.maxRelativePositions);
  const span = g.constInt64([dims.span], []);
  const clamp = (v: string) =>
    g.op('Clip', [g.op('Add', [v, span]), g.constInt64([0], []), g.constInt64([2 * dims.span - 1], [])]);
  return {
    shapes: { numHeads: dims.numHeads, headDim, headsShape, hiddenShape },
    scoreShape,
    c2pIndex: clamp(rel),
    p2cIndex: clamp(g.op('Neg', [rel])),
  };
}

/**
 * make_log_bucket_position in float32, as the definition computes it: distances within ±mid stay,
 * farther ones become sign * (ceil(log(|d| / mid) / log((max - 1) / mid) * (mid - 1)) + mid).
 */
function logBuckets(g: GraphBuilder, rel: string, buckets: number, maxPosition: number): string {
  const mid = Math.floor(buckets / 2);
  const relF = g.op('Cast', [rel], [{ name: 'to', int: FLOAT }]);
  const midF = g.constFloat([mid]);
  const inside = g.op('And', [g.op('Less', [relF, midF]), g.op('Greater', [relF, g.constFloat([-mid])])]);
  const absPos = g.op('Where', [inside, g.constFloat([mid - 1]), g.op('Abs', [relF])]);
  const denominator = g.op('Log', [g.constFloat([(maxPosition - 1) / mid])]);
  const scaled = g.op('Mul', [
    g.op('Div', [g.op('Log', [g.op('Div', [absPos, midF])]), denominator]),
    g.constFloat([mid - 1]),
  ]);
  const logPos = g.op('Add', [g.op('Ceil', [scaled]), midF]);
  const bucket = g.op('Where', [
    g.op('LessOrEqual', [absPos, midF]),
    relF,
    g.op('Mul', [logPos, g.op('Sign', [relF])]),
  ]);
  return g.op('Cast', [bucket], [{ name: 'to', int: INT64 }], 'relative_position');
}

/** A Linear whose weights two inputs share (content and relative embeddings under share_att_key). */
function sharedLinear(g: GraphBuilder, params: Params, prefix: string, size: number) {
  const weight = params.linearWeight(`${prefix}.weight`, size, size);
  const bias = params.get(`${prefix}.bias`, [size]);
  return (x: string) => g.op('Add', [g.op('MatMul', [x, weight]), bias]);
}

function disentangledAttention(
  g: GraphBuilder,
  params: Params,
  dims: DebertaDims,
  ctx: AttentionContext,
  x: string,
  rel: string,
  mask: PaddingMask,
  prefix: string,
): string {
  const h = dims.hiddenSize;
  const headDim = h / dims.numHeads;
  const queryProj = sharedLinear(g, params, `${prefix}.query_proj`, h);
  const keyProj = sharedLinear(g, params, `${prefix}.key_proj`, h);
  const valueProj = sharedLinear(g, params, `${prefix}.value_proj`, h);
  const query = queryProj(x);
  const keys = keyProj(x);
  const q = splitHeads(g, query, ctx.shapes.headsShape, [0, 2, 1, 3]); // [B, nh, S, dh]
  // Relative embeddings through the shared projections, as [nh, dh, 2 * span].
  const relHeads = g.constInt64([2 * dims.span, dims.numHeads, headDim]);
  const relT = (projected: string) => splitHeads(g, projected, relHeads, [1, 2, 0]);

  // The relative-position terms, [B, nh, S, S], added to the content scores q·k before scaling.
  const terms: string[] = [];
  const gatherBuckets = (att: string, index: string) =>
    g.op('GatherElements', [att, g.op('Expand', [index, ctx.scoreShape])], [{ name: 'axis', int: 3 }]);
  if (dims.c2p) {
    // content -> position: q_i . posK[c2p(i, j)].
    const c2p = g.op('MatMul', [q, relT(keyProj(rel))]); // [B, nh, S, 2 * span]
    terms.push(gatherBuckets(c2p, ctx.c2pIndex));
  }
  if (dims.p2c) {
    // position -> content: k_j . posQ[p2c(j, i)], gathered per key row then transposed.
    const k = splitHeads(g, keys, ctx.shapes.headsShape, [0, 2, 1, 3]);
    const p2c = g.op('MatMul', [k, relT(queryProj(rel))]);
    const gathered = gatherBuckets(p2c, ctx.p2cIndex);
    terms.push(g.op('Transpose', [gathered], [{ name: 'perm', ints: [0, 1, 3, 2] }]));
  }
  const scaleDivisor = Math.sqrt(headDim * (1 + terms.length));
  const summed = terms.length > 0 ? terms.reduce((a, b) => g.op('Add', [a, b])) : undefined;
  const bias = summed && g.op('Div', [summed, g.constFloat([scaleDivisor])]);
  return multiHeadAttention(g, ctx.shapes, { q: query, k: keys, v: valueProj(x), mask, bias, scaleDivisor });
}
