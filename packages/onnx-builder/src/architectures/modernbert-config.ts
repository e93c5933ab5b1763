import { type HfConfig, labelCount, positiveInt, positiveNumber, requireOneOf } from '../config';
import { BuildError } from '../errors';

/** What a ModernBERT sequence classifier's graph depends on, read from `config.json`. */
export interface ModernBertDims {
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Width of the GeGLU's gated half: `Wi` has 2 x this many outputs. */
  intermediateSize: number;
  normEps: number;
  normBias: boolean;
  attentionBias: boolean;
  mlpBias: boolean;
  classifierBias: boolean;
  /** Per layer: true for global attention, false for the sliding window. */
  globalLayers: boolean[];
  /** Keys within this distance of the query are attended in local layers (`local_attention // 2`). */
  halfWindow: number;
  globalRopeTheta: number;
  localRopeTheta: number;
  pooling: 'cls' | 'mean';
  vocabSize?: number;
  numLabels?: number;
}

const flag = (config: HfConfig, key: string, fallback: boolean): boolean => {
  const value = config[key] ?? fallback;
  if (typeof value !== 'boolean')
    throw new BuildError('invalid-checkpoint', `config.json: ${key} must be true or false`);
  return value;
};

/** The rope theta of a layer type: `rope_parameters` (transformers 5) or the flat key (4.x). */
function ropeTheta(config: HfConfig, layerType: string, flatKey: string, fallback: number): number {
  const nested = (config.rope_parameters as Record<string, { rope_theta?: unknown; rope_type?: unknown }>)?.[
    layerType
  ];
  if (nested && nested.rope_type !== undefined && nested.rope_type !== 'default')
    throw new BuildError(
      'unsupported',
      `config.json: rope_type ${String(nested.rope_type)} is not supported yet`,
    );
  if (nested?.rope_theta !== undefined) return positiveNumber({ t: nested.rope_theta }, 't', fallback);
  return positiveNumber(config, flatKey, fallback);
}

/**
 * ModernBERT's shape, defaults as transformers' ModernBertConfig. Layer `i` is global when
 * `i % global_attn_every_n_layers == 0` (or as `layer_types` says, in transformers 5 configs).
 */
export function modernBertDims(config: HfConfig): ModernBertDims {
  requireOneOf(config, 'hidden_activation', ['gelu'], 'gelu');
  requireOneOf(config, 'classifier_activation', ['gelu'], 'gelu');
  requireOneOf(config, 'classifier_pooling', ['cls', 'mean'], 'cls');
  const numLayers = positiveInt(config, 'num_hidden_layers');
  const every = positiveInt(config, 'global_attn_every_n_layers', 3);
  const types = config.layer_types;
  let globalLayers = Array.from({ length: numLayers }, (_, i) => i % every === 0);
  if (Array.isArray(types)) {
    if (types.length !== numLayers || types.some((t) => t !== 'full_attention' && t !== 'sliding_attention'))
      throw new BuildError('invalid-checkpoint', "config.json: layer_types must name each layer's attention");
    globalLayers = types.map((t) => t === 'full_attention');
  }
  const dims: ModernBertDims = {
    hiddenSize: positiveInt(config, 'hidden_size'),
    numLayers,
    numHeads: positiveInt(config, 'num_attention_heads'),
    intermediateSize: positiveInt(config, 'intermediate_size'),
    normEps: positiveNumber(config, 'norm_eps', 1e-5),
    normBias: flag(config, 'norm_bias', false),
    attentionBias: flag(config, 'attention_bias', false),
    mlpBias: flag(config, 'mlp_bias', false),
    classifierBias: flag(config, 'classifier_bias', false),
    globalLayers,
    halfWindow: Math.floor(positiveInt(config, 'local_attention', 128) / 2),
    globalRopeTheta: ropeTheta(config, 'full_attention', 'global_rope_theta', 160000),
    localRopeTheta: ropeTheta(config, 'sliding_attention', 'local_rope_theta', 10000),
    pooling: (config.classifier_pooling ?? 'cls') as 'cls' | 'mean',
    vocabSize: config.vocab_size === undefined ? undefined : positiveInt(config, 'vocab_size'),
    numLabels: labelCount(config),
  };
  const headDim = dims.hiddenSize / dims.numHeads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new BuildError(
      'invalid-checkpoint',
      `config.json: hidden_size ${dims.hiddenSize} / num_attention_heads ${dims.numHeads} must be an even integer (rotary halves)`,
    );
  }
  return dims;
}
