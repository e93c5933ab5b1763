import type { NamedTensor } from '@reranker/onnx-builder';
import type { ModelDims } from './presets';
import { weightWriter } from './weight-writer';

/**
 * Every parameter of DebertaV2ForSequenceClassification (DeBERTa-v3 as mxbai-rerank-*-v1 configure
 * it: relative attention with shared keys, no absolute positions), named and shaped as in Hugging
 * Face `transformers`, random with the scales of `generateWeights`.
 */
export function generateDebertaWeights(dims: ModelDims, seed: number): NamedTensor[] {
  const { tensors, add, linear, layerNorm } = weightWriter(seed, dims.hiddenSize);

  const h = dims.hiddenSize;
  add('deberta.embeddings.word_embeddings.weight', [dims.vocabSize, h], 0.5);
  if (dims.typeVocabSize > 0)
    add('deberta.embeddings.token_type_embeddings.weight', [dims.typeVocabSize, h], 0.5);
  layerNorm('deberta.embeddings.LayerNorm');

  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `deberta.encoder.layer.${i}`;
    linear(`${layer}.attention.self.query_proj`, h, h);
    linear(`${layer}.attention.self.key_proj`, h, h);
    linear(`${layer}.attention.self.value_proj`, h, h);
    linear(`${layer}.attention.output.dense`, h, h);
    layerNorm(`${layer}.attention.output.LayerNorm`);
    linear(`${layer}.intermediate.dense`, dims.intermediateSize, h);
    linear(`${layer}.output.dense`, h, dims.intermediateSize);
    layerNorm(`${layer}.output.LayerNorm`);
  }
  // One row per relative-position bucket on each side.
  add('deberta.encoder.rel_embeddings.weight', [2 * relativeSpan(dims), h], 0.5);
  layerNorm('deberta.encoder.LayerNorm');

  linear('pooler.dense', h, h);
  linear('classifier', dims.numLabels, h);
  return tensors;
}

/** `position_buckets` when bucketing, else `max_relative_positions` (itself max positions when < 1). */
export function relativeSpan(dims: ModelDims): number {
  const buckets = dims.positionBuckets ?? -1;
  if (buckets > 0) return buckets;
  const maxRelative = dims.maxRelativePositions ?? -1;
  return maxRelative < 1 ? dims.maxPositionEmbeddings : maxRelative;
}
