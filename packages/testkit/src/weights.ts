import type { NamedTensor } from '@reranker/onnx-builder';
import type { ModelDims } from './presets';
import { weightWriter } from './weight-writer';
import { generateDebertaWeights } from './weights-deberta';
import { modernBertWeights } from './weights-modernbert';

export type { NamedTensor };

/** The parameter-name prefix of the encoder: `bert`, `roberta` (as XLMRobertaForSequenceClassification names it) or `deberta`. */
export function encoderPrefix(dims: ModelDims): string {
  if (dims.architecture === 'deberta-v2') return 'deberta';
  return dims.architecture === 'bert' ? 'bert' : 'roberta';
}

/**
 * Every parameter of a sequence-classification cross-encoder, named and shaped as in Hugging Face
 * `transformers`, in a fixed order. Weights are random but scaled so that attention is far from
 * uniform and every sub-layer matters: a wiring mistake in a backend changes the logits visibly.
 */
export function generateWeights(dims: ModelDims, seed: number): NamedTensor[] {
  if (dims.architecture === 'deberta-v2') return generateDebertaWeights(dims, seed);
  if (dims.architecture === 'modernbert') return modernBertWeights(dims, seed);
  const { tensors, add, linear, layerNorm } = weightWriter(seed, dims.hiddenSize);

  const h = dims.hiddenSize;
  const enc = encoderPrefix(dims);
  add(`${enc}.embeddings.word_embeddings.weight`, [dims.vocabSize, h], 0.5);
  add(`${enc}.embeddings.position_embeddings.weight`, [dims.maxPositionEmbeddings, h], 0.5);
  add(`${enc}.embeddings.token_type_embeddings.weight`, [dims.typeVocabSize, h], 0.5);
  layerNorm(`${enc}.embeddings.LayerNorm`);

  for (let i = 0; i < dims.numLayers; i++) {
    const layer = `${enc}.encoder.layer.${i}`;
    linear(`${layer}.attention.self.query`, h, h);
    linear(`${layer}.attention.self.key`, h, h);
    linear(`${layer}.attention.self.value`, h, h);
    linear(`${layer}.attention.output.dense`, h, h);
    layerNorm(`${layer}.attention.output.LayerNorm`);
    linear(`${layer}.intermediate.dense`, dims.intermediateSize, h);
    linear(`${layer}.output.dense`, h, dims.intermediateSize);
    layerNorm(`${layer}.output.LayerNorm`);
  }

  if (dims.architecture === 'bert') {
    // BertForSequenceClassification: pooler (dense + tanh on [CLS]) then a linear classifier.
    linear('bert.pooler.dense', h, h);
    linear('classifier', dims.numLabels, h);
  } else {
    // XLMRobertaForSequenceClassification has no pooler; its head is dense + tanh + out_proj on <s>.
    linear('classifier.dense', h, h);
    linear('classifier.out_proj', dims.numLabels, h);
  }
  return tensors;
}
