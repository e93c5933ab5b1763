export { SUPPORTED_MODEL_TYPES } from './architectures';
export { DECODER_CLASSES, type DecoderClass } from './architectures/decoder-config';
export { DECODER_LAYOUTS } from './architectures/decoder-graphs';
export type { DecoderGraphOptions } from './architectures/types';
export {
  BUILDER_VERSION,
  type BuildOptions,
  buildFromFolder,
  buildOnnxModel,
  INLINE_LIMIT_BYTES,
  type WriteOptions,
  type WrittenModel,
  writeOnnxModel,
} from './build';
export type { HfConfig } from './config';
export { BuildError, type BuildErrorReason } from './errors';
export { rawDataBytes, readExternalModel } from './external';
export { storeWeightsAsFloat16 } from './fp16';
export type { Operators } from './graph-builder';
export { type Int8WeightType, preferredInt8Weights } from './int8-weights';
export type { OnnxTypes } from './proto';
export { type QuantizeOptions, quantizeDynamicInt8 } from './quantize';
export {
  type Checkpoint,
  findCheckpoint,
  openCheckpoint,
  PYTORCH_FILES,
  PYTORCH_FIX,
  parseShardIndex,
  SAFETENSORS_FILE,
  SAFETENSORS_INDEX,
  shardFiles,
} from './safetensors/checkpoint';
export {
  type EncodeOptions,
  encodeSafetensors,
  encodeShardedSafetensors,
  type SafetensorsDtype,
} from './safetensors/encode';
export type { ProgressCallback } from './serialize';
export type { NamedTensor, TensorInfo, WeightSource } from './tensor';
