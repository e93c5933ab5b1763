/** Everything that fixes a Qwen3 decoder's shape (names follow `Qwen3Config`). */
export interface Qwen3Dims {
  /**
   * `qwen2` writes a `Qwen2ForCausalLM` instead (the same decoder without per-head q/k norms, with
   * q/k/v biases): the architecture of mxbai-rerank-*-v2. Causal LM only; `headDim` must be
   * `hiddenSize / numHeads`. @default 'qwen3'
   */
  family?: 'qwen3' | 'qwen2';
  /** `Qwen3ForCausalLM` (tied yes/no rows read from the head) or its one-label seq-cls conversion. */
  head: 'causal-lm' | 'seq-cls';
  /** Rows of the embedding (`vocab_size`): the byte-level BPE tokens, then the 26 Qwen3 added tokens. */
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** How many of the most common English words the BPE training sees. */
  vocabWords: number;
}

const tiny = {
  head: 'causal-lm',
  // 3000 byte-level BPE tokens + the 26 added tokens.
  vocabSize: 3026,
  hiddenSize: 64,
  numLayers: 2,
  numHeads: 4,
  numKeyValueHeads: 2,
  headDim: 16,
  intermediateSize: 128,
  maxPositionEmbeddings: 40960,
  rmsNormEps: 1e-6,
  ropeTheta: 1_000_000,
  vocabWords: 1500,
} as const satisfies Qwen3Dims;

export const QWEN3_PRESETS = {
  /** 2-layer Qwen3 decoder for unit tests (Qwen3-Reranker layout, about 1 MB). */
  'tiny-qwen3': tiny,
  /** `tiny-qwen3` converted to `Qwen3ForSequenceClassification`: `score.weight` = yes row - no row. */
  'tiny-qwen3-seq-cls': { ...tiny, head: 'seq-cls' },
  /** `tiny-qwen3` as a `Qwen2ForCausalLM`: no q/k norms, q/k/v biases (mxbai-rerank-v2's architecture). */
  'tiny-qwen2': { ...tiny, family: 'qwen2' },
  /** The compute of Qwen/Qwen3-Reranker-0.6B (about 2.4 GB in float32). */
  'qwen3-0.6b': {
    head: 'causal-lm',
    vocabSize: 151669,
    hiddenSize: 1024,
    numLayers: 28,
    numHeads: 16,
    numKeyValueHeads: 8,
    headDim: 128,
    intermediateSize: 3072,
    maxPositionEmbeddings: 40960,
    rmsNormEps: 1e-6,
    ropeTheta: 1_000_000,
    vocabWords: 10000,
  },
} as const satisfies Record<string, Qwen3Dims>;

export type Qwen3PresetName = keyof typeof QWEN3_PRESETS;

export const QWEN3_PRESET_NAMES = Object.keys(QWEN3_PRESETS) as Qwen3PresetName[];

export function isQwen3PresetName(name: string): name is Qwen3PresetName {
  return Object.hasOwn(QWEN3_PRESETS, name);
}

/** The 26 tokens Qwen3 appends after its BPE vocabulary, in id order, and whether each is special. */
export const QWEN3_ADDED_TOKENS: readonly (readonly [string, boolean])[] = [
  ['<|endoftext|>', true],
  ['<|im_start|>', true],
  ['<|im_end|>', true],
  ['<|object_ref_start|>', true],
  ['<|object_ref_end|>', true],
  ['<|box_start|>', true],
  ['<|box_end|>', true],
  ['<|quad_start|>', true],
  ['<|quad_end|>', true],
  ['<|vision_start|>', true],
  ['<|vision_end|>', true],
  ['<|vision_pad|>', true],
  ['<|image_pad|>', true],
  ['<|video_pad|>', true],
  ['<tool_call>', false],
  ['</tool_call>', false],
  ['<|fim_prefix|>', false],
  ['<|fim_middle|>', false],
  ['<|fim_suffix|>', false],
  ['<|fim_pad|>', false],
  ['<|repo_name|>', false],
  ['<|file_sep|>', false],
  ['<tool_response>', false],
  ['</tool_response>', false],
  ['<think>', false],
  ['</think>', false],
];

/** Id of an added token: they follow the BPE vocabulary, as in the real file (`<|endoftext|>` = 151643). */
export function addedTokenId(dims: Qwen3Dims, content: string): number {
  const index = QWEN3_ADDED_TOKENS.findIndex(([token]) => token === content);
  if (index < 0) throw new Error(`${content} is not a Qwen3 added token`);
  return dims.vocabSize - QWEN3_ADDED_TOKENS.length + index;
}

/** Checks that the dimensions describe a buildable model, naming the first bad one. */
export function validateQwen3Dims(dims: Qwen3Dims): void {
  for (const key of [
    'vocabSize',
    'hiddenSize',
    'numLayers',
    'numHeads',
    'numKeyValueHeads',
    'headDim',
    'intermediateSize',
    'maxPositionEmbeddings',
    'vocabWords',
  ] as const) {
    const value = dims[key];
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`dims.${key} must be a positive integer, got ${String(value)}`);
  }
  if (dims.numHeads % dims.numKeyValueHeads !== 0)
    throw new Error(`dims.numHeads (${dims.numHeads}) must be a multiple of numKeyValueHeads`);
  if (
    dims.family === 'qwen2' &&
    (dims.head !== 'causal-lm' || dims.headDim * dims.numHeads !== dims.hiddenSize)
  )
    throw new Error('a qwen2 model is a causal LM with headDim = hiddenSize / numHeads');
  if (dims.headDim % 2 !== 0) throw new Error(`dims.headDim must be even for rotate-half RoPE`);
  if (dims.vocabSize < 256 + QWEN3_ADDED_TOKENS.length)
    throw new Error(`dims.vocabSize must hold 256 byte tokens and ${QWEN3_ADDED_TOKENS.length} added tokens`);
}
