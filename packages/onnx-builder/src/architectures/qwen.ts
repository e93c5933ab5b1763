import { decoderClass, decoderDims } from './decoder-config';
import { buildCausalLmGraph, buildPrefixGraph } from './decoder-graphs';
import type { Architecture } from './types';

/**
 * Qwen2 and Qwen3 decoders (Qwen/Qwen3-Reranker-*, their seq-cls conversions, mixedbread-ai's
 * mxbai-rerank-*-v2), chosen by `architectures`: `Qwen3ForCausalLM`, `Qwen3ForSequenceClassification`,
 * `Qwen2ForCausalLM`. The prefix-reuse reranking graph by default, or the onnx-community causal-LM
 * layout (`decoder.layout: 'causal-lm'`).
 */
export const qwen: Architecture = {
  modelTypes: ['qwen3', 'qwen2'],
  describe(config) {
    return `${decoderClass(config) ?? String(config.model_type)} graph`;
  },
  build(g, params, config, options) {
    const dims = decoderDims(config);
    if (options.decoder?.layout === 'causal-lm') buildCausalLmGraph(g, params, dims);
    else buildPrefixGraph(g, params, dims, options.decoder?.labelTokenIds);
  },
};
