import type { HfConfig } from '../config';
import type { GraphBuilder } from '../graph-builder';
import type { Params } from '../params';

/**
 * Which graph to build for a decoder (LLM) reranker; cross-encoders ignore it. See the README's
 * "Decoder rerankers" for the two layouts' inputs and outputs.
 */
export interface DecoderGraphOptions {
  /**
   * `prefix`: the reranking graph (a shared prefix's keys/values of batch 1 as past, one score per
   * row at its last real token). `causal-lm`: the onnx-community export layout (full-vocabulary
   * logits at every position, past and present of the whole batch).
   * @default 'prefix'
   */
  layout?: 'prefix' | 'causal-lm';
  /**
   * Vocabulary ids of the label tokens whose logits a causal LM's prefix graph outputs, as
   * `logits[:, 0]` = no and `logits[:, 1]` = yes (for Qwen3-Reranker: the tokens `yes` and `no`).
   * Required for the prefix graph of a `*ForCausalLM`; a seq-cls checkpoint has its own head.
   */
  labelTokenIds?: { yes: number; no: number };
}

/** Options every architecture receives. */
export interface ArchitectureOptions {
  decoder?: DecoderGraphOptions;
}

/**
 * One model family the builder writes. A new architecture is one module implementing this, listed in
 * `./index.ts`; the shared pieces (Linear, LayerNorm, GELU, attention) come from `../ops`.
 */
export interface Architecture {
  /** The `config.json` `model_type` values it builds. */
  readonly modelTypes: readonly string[];
  /** What the graph is, for messages (default: "sequence classifier"). */
  describe?(config: HfConfig): string;
  /**
   * Plans the graph: declares the inputs, adds the nodes, taking every weight through `params`, and
   * declares the outputs. For cross-encoders, `<Model>ForSequenceClassification` in eval mode:
   * inputs `input_ids`, `attention_mask` (and `token_type_ids` where the family has them), int64
   * `[batch_size, sequence_length]`; output `logits` (float32 `[batch_size, num_labels]`). Throws a
   * `BuildError` for a config it cannot build.
   */
  build(g: GraphBuilder, params: Params, config: HfConfig, options: ArchitectureOptions): void;
}
