/** The encoder layouts the kit can synthesize, as Hugging Face names them in `config.json` (`model_type`). */
export type Architecture = 'bert' | 'xlm-roberta' | 'deberta-v2' | 'modernbert';

/** What only ModernBERT has (config.json keys in brackets). */
export interface ModernBertDimsExtra {
  /** Layer i attends globally when i % this == 0 (`global_attn_every_n_layers`). */
  globalAttnEveryNLayers: number;
  /** Sliding-window width of the other layers (`local_attention`); half of it on each side. */
  localAttention: number;
  globalRopeTheta: number;
  localRopeTheta: number;
  /** `classifier_pooling`. */
  classifierPooling: 'cls' | 'mean';
}

/** Everything that fixes a cross-encoder's shape. */
export interface ModelDims {
  architecture: Architecture;
  /** Rows of the word-embedding matrix (`config.vocab_size`). */
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  /** Rows of the token-type table; 0 (DeBERTa-v3) means the model has none. */
  typeVocabSize: number;
  numLabels: number;
  layerNormEps: number;
  padTokenId: number;
  /** Longest input the tokenizer config announces (`model_max_length`). */
  modelMaxLength: number;
  /** How many of the most common English words enter the tokenizer vocabulary. */
  vocabWords: number;
  /** DeBERTa-v2 only: `position_buckets` (log-bucketed relative positions; half the rel_embeddings rows). */
  positionBuckets?: number;
  /** DeBERTa-v2 only: `max_relative_positions`; -1 means max_position_embeddings. */
  maxRelativePositions?: number;
  /** Set exactly when `architecture` is `modernbert`. */
  modernbert?: ModernBertDimsExtra;
}

const bertBase = {
  architecture: 'bert',
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
  maxPositionEmbeddings: 512,
  modelMaxLength: 512,
} as const;

const xlmrBase = {
  architecture: 'xlm-roberta',
  typeVocabSize: 1,
  layerNormEps: 1e-5,
  padTokenId: 1,
  // XLM-R positions start at padding_idx + 1, so 512 usable positions need 514 rows.
  maxPositionEmbeddings: 514,
  modelMaxLength: 512,
} as const;

// DeBERTa-v3 as mixedbread-ai/mxbai-rerank-*-v1 configure it: relative positions only, no token types.
const debertaV3Base = {
  architecture: 'deberta-v2',
  typeVocabSize: 0,
  layerNormEps: 1e-7,
  padTokenId: 0,
  maxPositionEmbeddings: 512,
  maxRelativePositions: -1,
  modelMaxLength: 512,
} as const;

// ModernBERT has no token types or position table: typeVocabSize stays 1 and maxPositionEmbeddings is
// only the announced limit (rotary positions). Specials sit 88 rows from the end, as [UNK]..[MASK] at
// 50280..50284 in the real 50368-row vocabulary.
const modernBertBase = {
  architecture: 'modernbert',
  typeVocabSize: 1,
  layerNormEps: 1e-5,
  maxPositionEmbeddings: 8192,
  modelMaxLength: 8192,
} as const;

export const PRESETS = {
  /** 2-layer BERT for unit tests (a few hundred KB). */
  tiny: {
    ...bertBase,
    vocabSize: 2400,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 64,
    numLabels: 1,
    vocabWords: 2000,
  },
  /** As `tiny` with a two-label head (positive-minus-negative scores). */
  'tiny-2label': {
    ...bertBase,
    vocabSize: 2400,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 64,
    numLabels: 2,
    vocabWords: 2000,
  },
  /** 2-layer XLM-RoBERTa in the layout of bge-reranker. */
  'tiny-xlmr': {
    ...xlmrBase,
    vocabSize: 3000,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 64,
    numLabels: 1,
    vocabWords: 2000,
  },
  /** The compute of cross-encoder/ms-marco-MiniLM-L-6-v2. */
  'minilm-l6': {
    ...bertBase,
    vocabSize: 30522,
    hiddenSize: 384,
    numLayers: 6,
    numHeads: 12,
    intermediateSize: 1536,
    numLabels: 1,
    vocabWords: 10000,
  },
  /** The compute of BAAI/bge-reranker-base (XLM-R base, 250002-token vocabulary). */
  'bge-base': {
    ...xlmrBase,
    vocabSize: 250002,
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    intermediateSize: 3072,
    numLabels: 1,
    vocabWords: 10000,
  },
  /**
   * The shape of BAAI/bge-reranker-v2-m3 (XLM-R large, 8194 positions): ~2.3 GB of float32 weights,
   * past the 2 GB an ONNX protobuf holds, so its graph is written with external data. Synthesize it
   * with `layout: { onnx: 'none' }` (as that repo publishes) or `'external-data'`.
   */
  'bge-m3': {
    ...xlmrBase,
    vocabSize: 250002,
    hiddenSize: 1024,
    numLayers: 24,
    numHeads: 16,
    intermediateSize: 4096,
    maxPositionEmbeddings: 8194,
    modelMaxLength: 8192,
    numLabels: 1,
    vocabWords: 10000,
  },
  /**
   * 2-layer DeBERTa-v3. 8 position buckets (mid 4) over 128 relative positions: tokens more than 4
   * apart already fall in the log-bucketed range, so short test pairs exercise it.
   */
  'tiny-deberta': {
    ...debertaV3Base,
    vocabSize: 3000,
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 64,
    numLabels: 1,
    vocabWords: 2000,
    maxPositionEmbeddings: 128,
    modelMaxLength: 128,
    positionBuckets: 8,
  },
  /** The compute of mixedbread-ai/mxbai-rerank-base-v1 (DeBERTa-v3 base, 128100-token vocabulary). */
  'deberta-v3-base': {
    ...debertaV3Base,
    vocabSize: 128100,
    hiddenSize: 768,
    numLayers: 12,
    numHeads: 12,
    intermediateSize: 3072,
    numLabels: 1,
    vocabWords: 10000,
    positionBuckets: 256,
  },
  /**
   * 3-layer ModernBERT (global, local, local) with an 8-token window, so test pairs longer than 4
   * tokens on either side exercise the sliding window; masked-mean pooling as gte-reranker-modernbert.
   */
  'tiny-modernbert': {
    ...modernBertBase,
    vocabSize: 4096,
    padTokenId: 4096 - 85,
    hiddenSize: 32,
    numLayers: 3,
    numHeads: 4,
    intermediateSize: 48,
    numLabels: 1,
    vocabWords: 400,
    modernbert: {
      globalAttnEveryNLayers: 3,
      localAttention: 8,
      globalRopeTheta: 160000,
      localRopeTheta: 10000,
      classifierPooling: 'mean',
    },
  },
  /** As `tiny-modernbert` with [CLS] pooling and two labels. */
  'tiny-modernbert-cls': {
    ...modernBertBase,
    vocabSize: 4096,
    padTokenId: 4096 - 85,
    hiddenSize: 32,
    numLayers: 3,
    numHeads: 4,
    intermediateSize: 48,
    numLabels: 2,
    vocabWords: 400,
    modernbert: {
      globalAttnEveryNLayers: 2,
      localAttention: 6,
      globalRopeTheta: 160000,
      localRopeTheta: 10000,
      classifierPooling: 'cls',
    },
  },
  /** The shape of Alibaba-NLP/gte-reranker-modernbert-base (ModernBERT-base, 22 layers, GeGLU 1152). */
  'modernbert-base': {
    ...modernBertBase,
    vocabSize: 50368,
    padTokenId: 50283,
    hiddenSize: 768,
    numLayers: 22,
    numHeads: 12,
    intermediateSize: 1152,
    numLabels: 1,
    vocabWords: 10000,
    modernbert: {
      globalAttnEveryNLayers: 3,
      localAttention: 128,
      globalRopeTheta: 160000,
      localRopeTheta: 10000,
      classifierPooling: 'mean',
    },
  },
} as const satisfies Record<string, ModelDims>;

export type PresetName = keyof typeof PRESETS;

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/** Checks that the dimensions describe a model that can be built, naming the first bad one. */
export function validateDims(dims: ModelDims): void {
  const positive: (keyof ModelDims)[] = [
    'vocabSize',
    'hiddenSize',
    'numLayers',
    'numHeads',
    'intermediateSize',
    'maxPositionEmbeddings',
    'numLabels',
    'vocabWords',
  ];
  for (const key of positive) {
    const value = dims[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new Error(`dims.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  // DeBERTa-v3 has no token types (type_vocab_size 0); the other layouts need at least one.
  const minTypes = dims.architecture === 'deberta-v2' ? 0 : 1;
  if (!Number.isInteger(dims.typeVocabSize) || dims.typeVocabSize < minTypes) {
    throw new Error(
      `dims.typeVocabSize must be an integer >= ${minTypes}, got ${String(dims.typeVocabSize)}`,
    );
  }
  if (dims.architecture === 'deberta-v2') {
    const buckets = dims.positionBuckets ?? -1;
    if (!Number.isInteger(buckets) || (buckets !== -1 && buckets < 2))
      throw new Error(`dims.positionBuckets must be -1 or an integer >= 2, got ${String(buckets)}`);
  }
  if (dims.hiddenSize % dims.numHeads !== 0) {
    throw new Error(
      `dims.hiddenSize (${dims.hiddenSize}) must be divisible by dims.numHeads (${dims.numHeads})`,
    );
  }
  if ((dims.architecture === 'modernbert') !== (dims.modernbert !== undefined)) {
    throw new Error('dims.modernbert must be given exactly when dims.architecture is modernbert');
  }
  if (dims.numLabels > 2) {
    throw new Error(`dims.numLabels must be 1 or 2 for a cross-encoder, got ${dims.numLabels}`);
  }
}
