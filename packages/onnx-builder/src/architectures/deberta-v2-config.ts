import { type HfConfig, labelCount, positiveInt, positiveNumber, requireOneOf } from '../config';
import { BuildError } from '../errors';

/** The DeBERTa-v2 shape the graph needs, read from config.json. */
export interface DebertaDims {
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
export function debertaDims(config: HfConfig): DebertaDims {
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
