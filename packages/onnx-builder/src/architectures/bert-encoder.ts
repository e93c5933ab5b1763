import { type HeadShapes, multiHeadAttention, PaddingMask } from '../attention';
import { type HfConfig, labelCount, positiveInt, positiveNumber, requireOneOf } from '../config';
import { BuildError } from '../errors';
import type { GraphBuilder } from '../graph-builder';
import { addLayerNorm, firstToken, linear, linearGelu, linearParts, withBias } from '../ops';
import type { Params } from '../params';
import { FLOAT, INT64 } from '../proto';

/**
 * The encoder BERT and XLM-RoBERTa share (XLM-R is RoBERTa, and RoBERTa is BERT with other position
 * ids): embeddings summed and normalized, post-LayerNorm self-attention layers, exact-erf GELU FFN,
 * and a tanh-dense head on the first token. The two modules differ only in inputs, positions and
 * parameter names.
 */

export interface EncoderDims {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  layerNormEps: number;
  /** From the config when it says; otherwise the tensors' shapes decide. */
  vocabSize?: number;
  maxPositionEmbeddings?: number;
  typeVocabSize?: number;
  numLabels?: number;
}

const optional = (config: HfConfig, key: string) =>
  config[key] === undefined ? undefined : positiveInt(config, key);

/** The encoder's shape from config.json, refusing the variants this graph does not compute. */
export function encoderDims(config: HfConfig): EncoderDims {
  requireOneOf(config, 'hidden_act', ['gelu'], 'gelu');
  requireOneOf(config, 'position_embedding_type', ['absolute'], 'absolute');
  if (config.is_decoder === true || config.add_cross_attention === true)
    throw new BuildError('unsupported', 'config.json: decoder models are not supported (is_decoder)');
  const dims: EncoderDims = {
    hiddenSize: positiveInt(config, 'hidden_size'),
    numLayers: positiveInt(config, 'num_hidden_layers'),
    numHeads: positiveInt(config, 'num_attention_heads'),
    intermediateSize: positiveInt(config, 'intermediate_size'),
    // transformers' default for both BertConfig and XLMRobertaConfig.
    layerNormEps: positiveNumber(config, 'layer_norm_eps', 1e-12),
    vocabSize: optional(config, 'vocab_size'),
    maxPositionEmbeddings: optional(config, 'max_position_embeddings'),
    typeVocabSize: optional(config, 'type_vocab_size'),
    numLabels: labelCount(config),
  };
  if (dims.hiddenSize % dims.numHeads !== 0) {
    throw new BuildError(
      'invalid-checkpoint',
      `config.json: hidden_size ${dims.hiddenSize} is not a multiple of num_attention_heads ${dims.numHeads}`,
    );
  }
  return dims;
}

export interface EncoderInputs {
  /** `bert` or `roberta`: the parameter-name prefix. */
  prefix: string;
  inputIds: string;
  attentionMask: string;
  /** Token type ids [B, S], or undefined: every token is type 0. */
  tokenTypeIds?: string;
  /** Position ids for the position-embedding Gather, given the [B, S] input shape. */
  positionIds: (inputShape: string) => string;
}

/** Embeddings and every encoder layer; returns the last hidden states [B, S, H]. */
export function bertEncoder(
  g: GraphBuilder,
  params: Params,
  dims: EncoderDims,
  inputs: EncoderInputs,
): string {
  const h = dims.hiddenSize;
  const headDim = h / dims.numHeads;
  const inputShape = g.op('Shape', [inputs.inputIds], [], 'input_shape'); // [B, S]
  // Target shapes for splitting hidden states into heads and merging them back.
  const shapes: HeadShapes = {
    numHeads: dims.numHeads,
    headDim,
    headsShape: g.op(
      'Concat',
      [inputShape, g.constInt64([dims.numHeads, headDim])],
      [{ name: 'axis', int: 0 }],
    ),
    hiddenShape: g.op('Concat', [inputShape, g.constInt64([h])], [{ name: 'axis', int: 0 }]),
  };

  // Embeddings, summed in HF's order: (word + token type) + position, then normalized.
  const emb = `${inputs.prefix}.embeddings`;
  const words = g.op('Gather', [
    params.get(`${emb}.word_embeddings.weight`, [dims.vocabSize, h]),
    inputs.inputIds,
  ]);
  const tokenTypeTable = params.get(`${emb}.token_type_embeddings.weight`, [dims.typeVocabSize, h]);
  const tokenTypes = inputs.tokenTypeIds
    ? g.op('Gather', [tokenTypeTable, inputs.tokenTypeIds])
    : g.op('Gather', [tokenTypeTable, g.constInt64([0], [])]); // row 0, [H], broadcast over [B, S]
  const positionIds = inputs.positionIds(inputShape);
  const positionTable = params.get(`${emb}.position_embeddings.weight`, [dims.maxPositionEmbeddings, h]);
  const positions = g.op('Gather', [positionTable, positionIds]);
  const embedded = { product: g.op('Add', [words, tokenTypes]) };
  const embNorm = { prefix: `${emb}.LayerNorm`, size: h, eps: dims.layerNormEps };
  let x = addLayerNorm(g, params, embedded, positions, embNorm).out;

  const mask = new PaddingMask(g, inputs.attentionMask);
  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `${inputs.prefix}.encoder.layer.${i}`;
    const project = (name: string) =>
      withBias(g, linearParts(g, params, x, `${layer}.attention.self.${name}`, h, h));
    const [q, k, v] = [project('query'), project('key'), project('value')]; // [B, S, H] each
    x = layerTail(g, params, dims, layer, multiHeadAttention(g, shapes, { q, k, v, mask }), x);
  }
  return x;
}

/**
 * What follows attention in a post-LayerNorm BERT-family layer (BertSelfOutput, BertIntermediate,
 * BertOutput; DeBERTa-v2 names them alike): the output projection, residual LayerNorm, the exact-erf
 * GELU FFN and its residual LayerNorm. Returns the layer's output [B, S, H].
 */
export function layerTail(
  g: GraphBuilder,
  params: Params,
  dims: Pick<EncoderDims, 'hiddenSize' | 'intermediateSize' | 'layerNormEps'>,
  layer: string,
  context: string,
  x: string,
): string {
  const h = dims.hiddenSize;
  const norm = (prefix: string) => ({ prefix, size: h, eps: dims.layerNormEps });
  const attnOut = linearParts(g, params, context, `${layer}.attention.output.dense`, h, h);
  const attended = addLayerNorm(g, params, attnOut, x, norm(`${layer}.attention.output.LayerNorm`)).out;
  const inter = linearGelu(
    g,
    linearParts(g, params, attended, `${layer}.intermediate.dense`, dims.intermediateSize, h),
  );
  const out = linearParts(g, params, inter, `${layer}.output.dense`, h, dims.intermediateSize);
  return addLayerNorm(g, params, out, attended, norm(`${layer}.output.LayerNorm`)).out;
}

/** `logits = proj(tanh(dense(x[:, 0])))`, declared as the graph output. */
export function firstTokenHead(
  g: GraphBuilder,
  params: Params,
  x: string,
  dims: EncoderDims,
  names: { dense: string; proj: string },
): void {
  const h = dims.hiddenSize;
  const labels = dims.numLabels ?? params.rows(`${names.proj}.weight`);
  const pooled = g.op('Tanh', [linear(g, params, firstToken(g, x), names.dense, h, h)]);
  const logits = linear(g, params, pooled, names.proj, labels, h);
  g.output(logits, 'logits', FLOAT, ['batch_size', labels]);
}

/** The int64 [batch_size, sequence_length] inputs, in the order real exports declare them. */
export function sequenceInputs(g: GraphBuilder, withTokenTypes: boolean) {
  const dims = ['batch_size', 'sequence_length'];
  const inputIds = g.input('input_ids', INT64, dims);
  const attentionMask = g.input('attention_mask', INT64, dims);
  const tokenTypeIds = withTokenTypes ? g.input('token_type_ids', INT64, dims) : undefined;
  return { inputIds, attentionMask, tokenTypeIds };
}
