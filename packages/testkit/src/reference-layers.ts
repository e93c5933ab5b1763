import { add, gelu, layerNorm, linear, type Matrix, map } from './reference-math';

/**
 * The post-LayerNorm encoder stack BERT, XLM-RoBERTa and DeBERTa-v2 share, in float64 from the
 * Hugging Face definitions (BertLayer; DebertaV2Layer is the same around its own attention). Part of
 * the testkit's reference pass, independent of @reranker/onnx-builder by design.
 */

/** A Linear of the current layer by its Hugging Face name: y = x W^T + b, `out` outputs. */
export type LayerDense = (input: Matrix, name: string, out: number) => Matrix;

/** The config keys the stack reads. */
export interface EncoderStackConfig {
  hidden_size: number;
  num_hidden_layers: number;
  intermediate_size: number;
  layer_norm_eps: number;
}

/**
 * Runs every layer `${prefix}.${l}` over `x`: `attention` gives the context of the layer's
 * self-attention (through `dense`, bound to the layer), then the output projection with the residual
 * LayerNorm, and the exact-GELU FFN with its residual LayerNorm.
 */
export function postNormEncoder(
  x: Matrix,
  prefix: string,
  config: EncoderStackConfig,
  p: (name: string) => Float64Array,
  attention: (x: Matrix, dense: LayerDense) => Matrix,
): Matrix {
  const h = config.hidden_size;
  const eps = config.layer_norm_eps;
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const layer = `${prefix}.${l}`;
    const dense: LayerDense = (input, name, out) =>
      linear(input, p(`${layer}.${name}.weight`), p(`${layer}.${name}.bias`), out);
    const context = attention(x, dense);
    const attended = layerNorm(
      add(dense(context, 'attention.output.dense', h), x),
      p(`${layer}.attention.output.LayerNorm.weight`),
      p(`${layer}.attention.output.LayerNorm.bias`),
      eps,
    );
    const intermediate = map(dense(attended, 'intermediate.dense', config.intermediate_size), gelu);
    x = layerNorm(
      add(dense(intermediate, 'output.dense', h), attended),
      p(`${layer}.output.LayerNorm.weight`),
      p(`${layer}.output.LayerNorm.bias`),
      eps,
    );
  }
  return x;
}
