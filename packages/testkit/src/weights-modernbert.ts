import type { NamedTensor } from '@reranker/onnx-builder';
import type { ModelDims } from './presets';
import { weightWriter } from './weight-writer';

/**
 * Every parameter of ModernBertForSequenceClassification as transformers names them, with the
 * biases a `*_bias: false` config (ModernBERT-base's) leaves out: only the classifier has one, and
 * layer 0 has no attn_norm (HF makes it an Identity). Scaled like `generateWeights`: every sub-layer
 * moves the logits visibly.
 */
export function modernBertWeights(dims: ModelDims, seed: number): NamedTensor[] {
  const { tensors, add } = weightWriter(seed, dims.hiddenSize);
  const h = dims.hiddenSize;
  const weight = (prefix: string, outDim: number, inDim: number) =>
    add(`${prefix}.weight`, [outDim, inDim], 1 / Math.sqrt(inDim));
  const norm = (prefix: string) => add(`${prefix}.weight`, [h], 0.1, 1);

  add('model.embeddings.tok_embeddings.weight', [dims.vocabSize, h], 0.5);
  norm('model.embeddings.norm');
  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `model.layers.${i}`;
    if (i > 0) norm(`${layer}.attn_norm`);
    // Larger query/key weights make attention peaked, so rotary positions and the window matter.
    add(`${layer}.attn.Wqkv.weight`, [3 * h, h], 2 / Math.sqrt(h));
    weight(`${layer}.attn.Wo`, h, h);
    norm(`${layer}.mlp_norm`);
    weight(`${layer}.mlp.Wi`, 2 * dims.intermediateSize, h);
    weight(`${layer}.mlp.Wo`, h, dims.intermediateSize);
  }
  norm('model.final_norm');
  weight('head.dense', h, h);
  norm('head.norm');
  weight('classifier', dims.numLabels, h);
  add('classifier.bias', [dims.numLabels], 0.1);
  return tensors;
}
