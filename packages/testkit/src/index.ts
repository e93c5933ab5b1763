export { referencePairScores } from './hf-reference';
export { GRAPH_OPERATORS, ONNX_LAYOUTS, type SynthesizedLayout, WEIGHTS_DTYPES } from './layout';
export { synthesizedModelDir } from './model-cache';
export {
  type Architecture,
  isPresetName,
  type ModelDims,
  PRESET_NAMES,
  PRESETS,
  type PresetName,
  validateDims,
} from './presets';
export { decomposeLayerNorms, publishedStyleExport, publishedStyleModelDir } from './published-export';
export * from './qwen3/index';
export {
  kendallTau,
  loadReferenceModel,
  maxAbsDiff,
  type ReferenceConfig,
  type ReferenceInput,
  type ReferenceModel,
  referenceLogits,
} from './reference';
export {
  type BackendCandidateLike,
  type BackendLike,
  type BackendLoadOptionsLike,
  type EncodedBatchLike,
  type LoggerLike,
  type ReferenceBackendOptions,
  referenceBackend,
} from './reference-backend';
export { promptRows, referenceDecoderBackend } from './reference-decoder-backend';
export { SeededRandom, seededRandom } from './rng';
export {
  DEFAULT_SEED,
  type SynthesizedModel,
  type SynthesizeOptions,
  synthesizeCrossEncoder,
} from './synthesize';
export { generateWeights, type NamedTensor } from './weights';
