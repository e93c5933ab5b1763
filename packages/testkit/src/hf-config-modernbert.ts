import type { ModelDims } from './presets';

/**
 * `config.json` with the keys Alibaba-NLP/gte-reranker-modernbert-base (transformers 4.48) has:
 * the flat `global_rope_theta` / `local_rope_theta` and `*_bias: false` of ModernBERT-base.
 */
export function modernBertConfig(dims: ModelDims): Record<string, unknown> {
  const extra = dims.modernbert;
  if (!extra) throw new Error('modernBertConfig: dims.modernbert is missing');
  const labels = Array.from({ length: dims.numLabels }, (_, i) => `LABEL_${i}`);
  // Specials sit 88 rows from the end of the vocabulary, as in ModernBERT's (see presets.ts).
  const special = dims.vocabSize - 88;
  return {
    _name_or_path: 'reranker-testkit/modernbert',
    architectures: ['ModernBertForSequenceClassification'],
    model_type: 'modernbert',
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: special + 1,
    classifier_activation: 'gelu',
    classifier_bias: false,
    classifier_dropout: 0.0,
    classifier_pooling: extra.classifierPooling,
    cls_token_id: special + 1,
    decoder_bias: true,
    deterministic_flash_attn: false,
    embedding_dropout: 0.0,
    eos_token_id: special + 2,
    global_attn_every_n_layers: extra.globalAttnEveryNLayers,
    global_rope_theta: extra.globalRopeTheta,
    gradient_checkpointing: false,
    hidden_activation: 'gelu',
    hidden_size: dims.hiddenSize,
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    initializer_cutoff_factor: 2.0,
    initializer_range: 0.02,
    intermediate_size: dims.intermediateSize,
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    layer_norm_eps: dims.layerNormEps,
    local_attention: extra.localAttention,
    local_rope_theta: extra.localRopeTheta,
    max_position_embeddings: dims.maxPositionEmbeddings,
    mlp_bias: false,
    mlp_dropout: 0.0,
    norm_bias: false,
    norm_eps: dims.layerNormEps,
    num_attention_heads: dims.numHeads,
    num_hidden_layers: dims.numLayers,
    pad_token_id: dims.padTokenId,
    position_embedding_type: 'absolute',
    reference_compile: false,
    sep_token_id: special + 2,
    sparse_pred_ignore_index: -100,
    sparse_prediction: false,
    torch_dtype: 'float32',
    transformers_version: '4.48.0',
    vocab_size: dims.vocabSize,
    // Marks the folder as synthetic everywhere it travels: real architecture and cost, random weights.
    _synthetic: 'random weights from @reranker/testkit; scores carry no meaning',
  };
}
