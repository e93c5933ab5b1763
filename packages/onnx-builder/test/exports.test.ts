import { expect, it } from 'vitest';
import * as builder from '../src/index';

// The public API is deliberate: adding or removing a runtime export must change this list on purpose.
it('@reranker/onnx-builder exports exactly its public API', () => {
  expect(Object.keys(builder).sort()).toEqual([
    'BUILDER_VERSION',
    'BuildError',
    'DECODER_CLASSES',
    'DECODER_LAYOUTS',
    'INLINE_LIMIT_BYTES',
    'PYTORCH_FILES',
    'PYTORCH_FIX',
    'SAFETENSORS_FILE',
    'SAFETENSORS_INDEX',
    'SUPPORTED_MODEL_TYPES',
    'buildFromFolder',
    'buildOnnxModel',
    'encodeSafetensors',
    'encodeShardedSafetensors',
    'findCheckpoint',
    'openCheckpoint',
    'parseShardIndex',
    'preferredInt8Weights',
    'quantizeDynamicInt8',
    'rawDataBytes',
    'readExternalModel',
    'shardFiles',
    'storeWeightsAsFloat16',
    'writeOnnxModel',
  ]);
});
