import { type HfConfig, labelCount, positiveInt, positiveNumber, requireOneOf } from '../config';
import { BuildError } from '../errors';

/** The decoder classes the builder writes, by `config.json` `architectures[0]`. */
export const DECODER_CLASSES = [
  'Qwen3ForCausalLM',
  'Qwen3ForSequenceClassification',
  'Qwen2ForCausalLM',
] as const;
export type DecoderClass = (typeof DECODER_CLASSES)[number];

/** What a Qwen2/Qwen3 decoder's graph depends on, read from `config.json` (names as `Qwen3Config`). */
export interface DecoderDims {
  family: 'qwen2' | 'qwen3';
  head: 'causal-lm' | 'seq-cls';
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  intermediateSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  /** Per-head RMSNorm of queries and keys before RoPE (Qwen3). */
  qkNorm: boolean;
  /** Biases on the q/k/v projections (Qwen2 always; Qwen3 with `attention_bias`). */
  qkvBias: boolean;
  /** Bias on o_proj (Qwen3 with `attention_bias`). */
  outBias: boolean;
}

const unsupported = (message: string) => new BuildError('unsupported', `config.json: ${message}`);

const flag = (config: HfConfig, key: string, fallback: boolean): boolean => {
  const value = config[key] ?? fallback;
  if (typeof value !== 'boolean')
    throw new BuildError('invalid-checkpoint', `config.json: ${key} must be true or false`);
  return value;
};

/** The decoder class of a config, or undefined when `architectures` names none the builder writes. */
export function decoderClass(config: HfConfig): DecoderClass | undefined {
  const names = Array.isArray(config.architectures) ? config.architectures : [];
  return DECODER_CLASSES.find((c) => names.includes(c));
}

/** The decoder's shape, defaults as transformers' Qwen2Config / Qwen3Config; refuses what is not built. */
export function decoderDims(config: HfConfig): DecoderDims {
  const cls = decoderClass(config);
  const family = config.model_type === 'qwen2' ? 'qwen2' : 'qwen3';
  if (!cls?.toLowerCase().startsWith(family)) {
    throw unsupported(
      `architectures ${JSON.stringify(config.architectures) ?? 'is missing'} with model_type ${String(config.model_type)}: graphs are built for ${DECODER_CLASSES.join(', ')}`,
    );
  }
  requireOneOf(config, 'hidden_act', ['silu'], 'silu');
  if (config.rope_scaling != null) throw unsupported('rope_scaling is not supported yet');
  // A sliding window narrower than the input would change the scores; it is off in every reranker.
  if (config.use_sliding_window === true) throw unsupported('use_sliding_window true is not supported');
  const hiddenSize = positiveInt(config, 'hidden_size');
  const numHeads = positiveInt(config, 'num_attention_heads');
  const numKeyValueHeads = positiveInt(config, 'num_key_value_heads', numHeads);
  if (numHeads % numKeyValueHeads !== 0)
    throw new BuildError(
      'invalid-checkpoint',
      `config.json: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKeyValueHeads}`,
    );
  // Qwen2 derives head_dim; Qwen3 states it (and falls back to the same quotient).
  const headDim =
    family === 'qwen3' && config.head_dim != null ? positiveInt(config, 'head_dim') : hiddenSize / numHeads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw new BuildError('invalid-checkpoint', `config.json: head_dim ${headDim} must be an even integer`);
  const head = cls.endsWith('ForSequenceClassification') ? 'seq-cls' : 'causal-lm';
  if (head === 'seq-cls') {
    const labels = labelCount(config) ?? 1;
    if (labels !== 1) throw unsupported(`a sequence classifier with ${labels} labels (rerankers have one)`);
  }
  const attentionBias = flag(config, 'attention_bias', false);
  return {
    family,
    head,
    hiddenSize,
    numLayers: positiveInt(config, 'num_hidden_layers'),
    numHeads,
    numKeyValueHeads,
    headDim,
    intermediateSize: positiveInt(config, 'intermediate_size'),
    rmsNormEps: positiveNumber(config, 'rms_norm_eps', 1e-6),
    ropeTheta: positiveNumber(config, 'rope_theta', 10000),
    vocabSize: positiveInt(config, 'vocab_size'),
    tieWordEmbeddings: flag(config, 'tie_word_embeddings', false),
    qkNorm: family === 'qwen3',
    qkvBias: family === 'qwen2' || attentionBias,
    outBias: family === 'qwen3' && attentionBias,
  };
}
