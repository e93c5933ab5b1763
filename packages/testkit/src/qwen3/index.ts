import { cachedSynthesis } from '../model-cache';
import { DEFAULT_SEED } from '../synthesize';
import type { Qwen3PresetName } from './presets';
import { synthesizeQwen3 } from './synthesize';

export { byteLevelPieces, byteToUnicode, QWEN_SPLIT_REGEX } from './bpe-vocab';
export { type PromptScoresInput, referencePromptScores } from './hf-prompt-reference';
export {
  applyRope,
  causalAttention,
  kvHeadFor,
  rmsNorm,
  ropeInverseFrequencies,
  sigmoid,
  silu,
} from './math';
export { type Qwen3Oracle, qwen3Oracle } from './oracle';
export {
  addedTokenId,
  isQwen3PresetName,
  QWEN3_ADDED_TOKENS,
  QWEN3_PRESET_NAMES,
  QWEN3_PRESETS,
  type Qwen3Dims,
  type Qwen3PresetName,
  validateQwen3Dims,
} from './presets';
export {
  loadQwen3Reference,
  type Qwen3ReferenceConfig,
  type Qwen3ReferenceModel,
  qwen3HiddenStates,
  qwen3LastLogits,
  qwen3SeqClsLogit,
  referenceYesNoScore,
  type YesNoScore,
} from './reference';
export { type SynthesizedQwen3, type SynthesizeQwen3Options, synthesizeQwen3 } from './synthesize';
export {
  encodeRerankPrompt,
  fillBody,
  formatRerankPrompt,
  QWEN3_RERANKER_TEMPLATE,
  type RerankPromptInput,
  type YesNoRerankerTemplate,
} from './template';

/**
 * The folder of a synthesized Qwen3 preset, written on first use under the system temp dir and reused;
 * with `onnxCommunityExport`, its twin that also holds an onnx-community-layout `onnx/model.onnx`;
 * with `prefixGraph`, one holding the reranking prefix graph as `onnx/model.onnx`.
 */
export function synthesizedQwen3Dir(
  preset: Qwen3PresetName,
  options: { seed?: number; root?: string; onnxCommunityExport?: boolean; prefixGraph?: boolean } = {},
): Promise<string> {
  const seed = options.seed ?? DEFAULT_SEED;
  const exported = options.onnxCommunityExport ?? false;
  const prefixGraph = options.prefixGraph ?? false;
  const suffix = exported ? '.onnx-community' : prefixGraph ? '.prefix-graph' : '';
  return cachedSynthesis(`${preset}.seed${seed}.qwen3${suffix}`, options.root, (outDir) =>
    synthesizeQwen3({ preset, seed, outDir, onnxCommunityExport: exported, prefixGraph }),
  );
}
