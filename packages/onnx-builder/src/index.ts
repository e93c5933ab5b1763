export { type BertDims, buildOnnxModel } from './architectures/bert';
export { float16Bits, storeWeightsAsFloat16 } from './fp16';
export { type QuantizeOptions, quantizeDynamicInt8 } from './quantize';
export { encodeSafetensors } from './safetensors';
export type { NamedTensor } from './tensor';
