import { type HfConfig, labelCount, positiveInt, positiveNumber, requireOneOf } from '../config';
import { BuildError } from '../errors';
import type { GraphBuilder } from '../graph-builder';
import { additiveMask, firstToken, geluErf, layerNorm, linear, splitHeads } from '../ops';
import type { Params } from '../params';
import { FLOAT, INT64 } from '../proto';
import { sequenceInputs } from './bert-encoder';
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
    let x = g.op('Gather', [params.get(`${emb}.word_embeddings.weight`, [dims.vocabSize, h]), inputIds]);
    if (tokenTypeIds) {
      const table = params.get(`${emb}.token_type_embeddings.weight`, [dims.typeVocabSize, h]);
      x = g.op('Add', [x, g.op('Gather', [table, tokenTypeIds])]);
    }
    x = layerNorm(g, params, x, `${emb}.LayerNorm`, h, dims.layerNormEps);
    const maskFloat = g.op('Cast', [attentionMask], [{ name: 'to', int: FLOAT }]);
    x = g.op('Mul', [x, g.op('Unsqueeze', [maskFloat, g.constInt64([2])])]);

    // Relative embeddings [2 * span, H], normalized once for every layer.
    let rel = params.get('deberta.encoder.rel_embeddings.weight', [2 * dims.span, h]);
    if (dims.normRelEmbeddings)
      rel = layerNorm(g, params, rel, 'deberta.encoder.LayerNorm', h, dims.layerNormEps);

    const ctx = attentionContext(g, dims, inputShape);
    const mask = additiveMask(g, attentionMask);
    for (let i = 0; i < dims.numLayers; i++) {
      const layer = `deberta.encoder.layer.${i}`;
      const context = disentangledAttention(g, params, dims, ctx, x, rel, mask, `${layer}.attention.self`);
      const attnOut = linear(g, params, context, `${layer}.attention.output.dense`, h, h);
      x = layerNorm(
        g,
        params,
        g.op('Add', [attnOut, x]),
        `${layer}.attention.output.LayerNorm`,
        h,
        dims.layerNormEps,
      );
      const inter = geluErf(g, linear(g, params, x, `${layer}.intermediate.dense`, dims.intermediateSize, h));
      const out = linear(g, params, inter, `${layer}.output.dense`, h, dims.intermediateSize);
      x = layerNorm(g, params, g.op('Add', [out, x]), `${layer}.output.LayerNorm`, h, dims.layerNormEps);
    }

    // ContextPooler: dense + pooler_hidden_act (GELU) on the first token, then the classifier.
    const labels = dims.numLabels ?? params.rows('classifier.weight');
    const pooled = geluErf(g, linear(g, params, firstToken(g, x), 'pooler.dense', h, h));
    const logits = linear(g, params, pooled, 'classifier', labels, h);
    g.output(logits, 'logits', FLOAT, ['batch_size', labels]);
  },
};

interface DebertaDims {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  layerNormEps: number;
  vocabSize?: number;
  typeVocabSize: number;
  numLabels?: number;
  /** Half the rows of rel_embeddings: position_buckets, or max_relative_positions without buckets. */
  span: number;
  /** Buckets > 0 means log-bucketed relative positions. */
  positionBuckets: number;
  maxRelativePositions: number;
  c2p: boolean;
  p2c: boolean;
  normRelEmbeddings: boolean;
}

const unsupported = (message: string) => new BuildError('unsupported', `config.json: ${message}`);

/** The shape from config.json, refusing the DeBERTa variants this graph does not compute. */
function debertaDims(config: HfConfig): DebertaDims {
  requireOneOf(config, 'hidden_act', ['gelu'], 'gelu');
  requireOneOf(config, 'pooler_hidden_act', ['gelu'], 'gelu');
  // transformers' DebertaV2Config defaults: relative_attention false, position_biased_input true.
  if (config.relative_attention !== true) throw unsupported('only relative_attention: true is built');
  if (config.position_biased_input !== false)
    throw unsupported('absolute positions (position_biased_input true) are not built yet');
  if (config.share_att_key !== true) throw unsupported('only share_att_key: true is built');
  for (const key of ['conv_kernel_size', 'embedding_size', 'attention_head_size'] as const) {
    const value = config[key];
    if (value !== undefined && value !== 0 && value !== config.hidden_size)
      throw unsupported(`${key} ${JSON.stringify(value)} is not built yet`);
  }
  const hiddenSize = positiveInt(config, 'hidden_size');
  if (config.pooler_hidden_size !== undefined && config.pooler_hidden_size !== hiddenSize)
    throw unsupported('pooler_hidden_size must equal hidden_size');
  const rawTypes = config.pos_att_type ?? [];
  const types = (
    typeof rawTypes === 'string' ? rawTypes.toLowerCase().split('|') : (rawTypes as unknown[])
  ).map((t) => String(t).trim());
  if (types.some((t) => t !== 'c2p' && t !== 'p2c'))
    throw unsupported(`pos_att_type ${JSON.stringify(rawTypes)}: only c2p and p2c are built`);
  const norm = String(config.norm_rel_ebd ?? 'none')
    .toLowerCase()
    .split('|')
    .map((s) => s.trim());
  if (norm.some((n) => n !== 'layer_norm' && n !== 'none'))
    throw unsupported(`norm_rel_ebd ${JSON.stringify(config.norm_rel_ebd)} is not built yet`);

  const maxPositions = positiveInt(config, 'max_position_embeddings', 512);
  const rawMaxRel = config.max_relative_positions ?? -1;
  const rawBuckets = config.position_buckets ?? -1;
  if (
    typeof rawMaxRel !== 'number' ||
    !Number.isInteger(rawMaxRel) ||
    typeof rawBuckets !== 'number' ||
    !Number.isInteger(rawBuckets)
  )
    throw new BuildError(
      'invalid-checkpoint',
      'config.json: max_relative_positions and position_buckets must be integers',
    );
  const maxRelativePositions = rawMaxRel < 1 ? maxPositions : rawMaxRel;
  const positionBuckets = rawBuckets > 0 ? rawBuckets : -1;
  if (positionBuckets > 0 && (positionBuckets < 4 || maxRelativePositions <= positionBuckets / 2 + 1))
    throw new BuildError(
      'invalid-checkpoint',
      'config.json: position_buckets must be >= 4 and below max_relative_positions',
    );
  const typeVocabSize = config.type_vocab_size ?? 0;
  if (typeof typeVocabSize !== 'number' || !Number.isInteger(typeVocabSize) || typeVocabSize < 0)
    throw new BuildError('invalid-checkpoint', 'config.json: type_vocab_size must be an integer >= 0');
  const dims: DebertaDims = {
    hiddenSize,
    numLayers: positiveInt(config, 'num_hidden_layers'),
    numHeads: positiveInt(config, 'num_attention_heads'),
    intermediateSize: positiveInt(config, 'intermediate_size'),
    layerNormEps: positiveNumber(config, 'layer_norm_eps', 1e-7),
    vocabSize: config.vocab_size === undefined ? undefined : positiveInt(config, 'vocab_size'),
    typeVocabSize,
    numLabels: labelCount(config),
    span: positionBuckets > 0 ? positionBuckets : maxRelativePositions,
    positionBuckets,
    maxRelativePositions,
    c2p: types.includes('c2p'),
    p2c: types.includes('p2c'),
    normRelEmbeddings: norm.includes('layer_norm'),
  };
  if (hiddenSize % dims.numHeads !== 0)
    throw new BuildError(
      'invalid-checkpoint',
      `config.json: hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${dims.numHeads}`,
    );
  return dims;
}

/** Values every layer's attention shares: head shapes, the score shape and the bucket index tables. */
interface AttentionContext {
  headsShape: string;
  hiddenShape: string;
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
    headsShape,
    hiddenShape,
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
  mask: string,
  prefix: string,
): string {
  const h = dims.hiddenSize;
  const headDim = h / dims.numHeads;
  const queryProj = sharedLinear(g, params, `${prefix}.query_proj`, h);
  const keyProj = sharedLinear(g, params, `${prefix}.key_proj`, h);
  const valueProj = sharedLinear(g, params, `${prefix}.value_proj`, h);
  const q = splitHeads(g, queryProj(x), ctx.headsShape, [0, 2, 1, 3]); // [B, nh, S, dh]
  const keys = keyProj(x);
  const kT = splitHeads(g, keys, ctx.headsShape, [0, 2, 3, 1]); // [B, nh, dh, S]
  const v = splitHeads(g, valueProj(x), ctx.headsShape, [0, 2, 1, 3]);
  // Relative embeddings through the shared projections, as [nh, dh, 2 * span].
  const relHeads = g.constInt64([2 * dims.span, dims.numHeads, headDim]);
  const relT = (projected: string) => splitHeads(g, projected, relHeads, [1, 2, 0]);

  let scores = g.op('MatMul', [q, kT]);
  const gatherBuckets = (att: string, index: string) =>
    g.op('GatherElements', [att, g.op('Expand', [index, ctx.scoreShape])], [{ name: 'axis', int: 3 }]);
  if (dims.c2p) {
    // content -> position: q_i . posK[c2p(i, j)].
    const c2p = g.op('MatMul', [q, relT(keyProj(rel))]); // [B, nh, S, 2 * span]
    scores = g.op('Add', [scores, gatherBuckets(c2p, ctx.c2pIndex)]);
  }
  if (dims.p2c) {
    // position -> content: k_j . posQ[p2c(j, i)], gathered per key row then transposed.
    const k = splitHeads(g, keys, ctx.headsShape, [0, 2, 1, 3]);
    const p2c = g.op('MatMul', [k, relT(queryProj(rel))]);
    const gathered = gatherBuckets(p2c, ctx.p2cIndex);
    scores = g.op('Add', [scores, g.op('Transpose', [gathered], [{ name: 'perm', ints: [0, 1, 3, 2] }])]);
  }
  const scaleFactor = 1 + (dims.c2p ? 1 : 0) + (dims.p2c ? 1 : 0);
  scores = g.op('Div', [scores, g.constFloat([Math.sqrt(headDim * scaleFactor)])]);
  const probs = g.op('Softmax', [g.op('Add', [scores, mask])], [{ name: 'axis', int: -1 }]);
  const context = g.op('Transpose', [g.op('MatMul', [probs, v])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
  return g.op('Reshape', [context, ctx.hiddenShape]);
}
