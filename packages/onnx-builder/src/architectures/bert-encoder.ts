import { type HfConfig, labelCount, positiveInt, positiveNumber, requireOneOf } from '../config';
import { BuildError } from '../errors';
import type { GraphBuilder } from '../graph-builder';
import { additiveMask, attention, firstToken, geluErf, layerNorm, linear, splitHeads } from '../ops';
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
  const headsShape = g.op(
    'Concat',
    [inputShape, g.constInt64([dims.numHeads, headDim])],
    [{ name: 'axis', int: 0 }],
  );
  const hiddenShape = g.op('Concat', [inputShape, g.constInt64([h])], [{ name: 'axis', int: 0 }]);

  // Embeddings, summed in HF's order: (word + token type) + position.
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
  const summed = g.op('Add', [g.op('Add', [words, tokenTypes]), positions]);
  let x = layerNorm(g, params, summed, `${emb}.LayerNorm`, h, dims.layerNormEps);

  const mask = additiveMask(g, inputs.attentionMask);
  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `${inputs.prefix}.encoder.layer.${i}`;
    const project = (name: string, perm: number[]) =>
      splitHeads(g, linear(g, params, x, `${layer}.attention.self.${name}`, h, h), headsShape, perm);
    const q = project('query', [0, 2, 1, 3]); // [B, nh, S, dh]
    const kT = project('key', [0, 2, 3, 1]); // [B, nh, dh, S]
    const v = project('value', [0, 2, 1, 3]); // [B, nh, S, dh]
    const context = attention(g, q, kT, v, mask, headDim, hiddenShape); // [B, S, H]
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
  return x;
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
