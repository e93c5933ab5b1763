import type { HfConfig } from '../config';
import type { GraphBuilder } from '../graph-builder';
import type { Params } from '../params';

/**
 * One model family the builder writes. A new architecture is one module implementing this, listed in
 * `./index.ts`; the shared pieces (Linear, LayerNorm, GELU, attention) come from `../ops`.
 */
export interface Architecture {
  /** The `config.json` `model_type` values it builds. */
  readonly modelTypes: readonly string[];
  /**
   * Plans the graph of `<Model>ForSequenceClassification` in eval mode: declares the inputs
   * (`input_ids`, `attention_mask`, and `token_type_ids` where the family has them, int64
   * `[batch_size, sequence_length]`), adds the nodes, taking every weight through `params`, and
   * declares the output `logits` (float32 `[batch_size, num_labels]`). Throws a `BuildError` for a
   * config it cannot build.
   */
  build(g: GraphBuilder, params: Params, config: HfConfig): void;
}
