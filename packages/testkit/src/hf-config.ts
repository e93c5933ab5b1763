import { modernBertConfig } from './hf-config-modernbert';
import type { ModelDims } from './presets';

/** `config.json` as Hugging Face `transformers` writes it for a sequence-classification model. */
export function hfConfig(dims: ModelDims): Record<string, unknown> {
  if (dims.architecture === 'modernbert') return modernBertConfig(dims);
  if (dims.architecture === 'deberta-v2') return debertaConfig(dims);
  const labels = Array.from({ length: dims.numLabels }, (_, i) => `LABEL_${i}`);
  const common = {
    hidden_size: dims.hiddenSize,
    num_hidden_layers: dims.numLayers,
    num_attention_heads: dims.numHeads,
    intermediate_size: dims.intermediateSize,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: dims.maxPositionEmbeddings,
    type_vocab_size: dims.typeVocabSize,
    initializer_range: 0.02,
    layer_norm_eps: dims.layerNormEps,
    pad_token_id: dims.padTokenId,
    vocab_size: dims.vocabSize,
    position_embedding_type: 'absolute',
    classifier_dropout: null,
    use_cache: true,
    num_labels: dims.numLabels,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    torch_dtype: 'float32',
    transformers_version: '4.44.2',
    // Marks the folder as synthetic everywhere it travels: real architecture and cost, random weights.
    _synthetic: 'random weights from @reranker/testkit; scores carry no meaning',
  };
  if (dims.architecture === 'bert') {
    return {
      _name_or_path: 'reranker-testkit/bert',
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      ...common,
    };
  }
  // The keys of BAAI/bge-reranker-v2-m3's config.json (and bge-reranker-base/-large): `output_past`,
  // and no `num_labels` (transformers derives it from id2label).
  const { num_labels: _, ...xlmr } = common;
  return {
    _name_or_path: 'reranker-testkit/xlm-roberta',
    architectures: ['XLMRobertaForSequenceClassification'],
    model_type: 'xlm-roberta',
    bos_token_id: 0,
    eos_token_id: 2,
    output_past: true,
    ...xlmr,
  };
}

const SYNTHETIC = 'random weights from @reranker/testkit; scores carry no meaning';

/** The keys and values of mixedbread-ai/mxbai-rerank-base-v1's config.json (DeBERTa-v3), in its order. */
function debertaConfig(dims: ModelDims): Record<string, unknown> {
  const labels = Array.from({ length: dims.numLabels }, (_, i) => `LABEL_${i}`);
  return {
    _name_or_path: 'reranker-testkit/deberta-v2',
    architectures: ['DebertaV2ForSequenceClassification'],
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: dims.hiddenSize,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    initializer_range: 0.02,
    intermediate_size: dims.intermediateSize,
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    layer_norm_eps: dims.layerNormEps,
    max_position_embeddings: dims.maxPositionEmbeddings,
    max_relative_positions: dims.maxRelativePositions ?? -1,
    model_type: 'deberta-v2',
    norm_rel_ebd: 'layer_norm',
    num_attention_heads: dims.numHeads,
    num_hidden_layers: dims.numLayers,
    pad_token_id: dims.padTokenId,
    pooler_dropout: 0,
    pooler_hidden_act: 'gelu',
    pooler_hidden_size: dims.hiddenSize,
    pos_att_type: ['p2c', 'c2p'],
    position_biased_input: false,
    position_buckets: dims.positionBuckets ?? -1,
    relative_attention: true,
    share_att_key: true,
    torch_dtype: 'float32',
    transformers_version: '4.44.2',
    type_vocab_size: dims.typeVocabSize,
    vocab_size: dims.vocabSize,
    _synthetic: SYNTHETIC,
  };
}
