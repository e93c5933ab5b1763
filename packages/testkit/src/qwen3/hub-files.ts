import { byteLevelBpeModel } from '../tokenizer-parts';
import { QWEN_SPLIT_REGEX, trainByteLevelBpe } from './bpe-vocab';
import { addedTokenId, QWEN3_ADDED_TOKENS, type Qwen3Dims } from './presets';
import { QWEN3_RERANKER_TEMPLATE } from './template';

/** The JSON files of a Qwen3 hub folder besides the weights, as JSON-ready objects. */
export interface Qwen3HubFiles {
  'config.json': unknown;
  'generation_config.json': unknown;
  'tokenizer.json': unknown;
  'tokenizer_config.json': unknown;
}

const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

// A ChatML template of our own wording (the real file's also handles tools and reasoning content).
const CHAT_TEMPLATE =
  "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}{%- endif %}";

/** Texts whose words must encode compactly: the reranker prompt and its labels. */
const TRAINING_TEXTS = [
  QWEN3_RERANKER_TEMPLATE.prefix.replace(/<\|im_(start|end)\|>/g, '\n'),
  QWEN3_RERANKER_TEMPLATE.body.replace(/\{(instruction|query|document)\}/g, ''),
  QWEN3_RERANKER_TEMPLATE.defaultInstruction,
  'yes',
  'no',
  ' yes',
  ' no',
  'assistant\n',
  'user\n',
  'system\n',
];

/**
 * Files in the layout of Qwen/Qwen3-Reranker-0.6B: `Split` + `ByteLevel` pre-tokenizer, NFC normalizer,
 * BPE model with merges, ByteLevel decoder and post-processor (which adds no tokens), the 26 added
 * tokens after the BPE vocabulary, `Qwen2Tokenizer` config with `<|im_end|>` as eos and
 * `<|endoftext|>` as pad. Padding side is left unset (right), as in the real config; the model card
 * asks for left padding explicitly.
 */
export function qwen3HubFiles(dims: Qwen3Dims): Qwen3HubFiles {
  const bpeSize = dims.vocabSize - QWEN3_ADDED_TOKENS.length;
  const { tokens, merges } = trainByteLevelBpe(bpeSize, TRAINING_TEXTS, dims.vocabWords);
  const added = QWEN3_ADDED_TOKENS.map(([content, special], i) => ({
    id: bpeSize + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special,
  }));
  const specialNames = QWEN3_ADDED_TOKENS.filter(([, special]) => special).map(([content]) => content);
  const endOfText = addedTokenId(dims, '<|endoftext|>');
  const imEnd = addedTokenId(dims, '<|im_end|>');
  return {
    'config.json': qwen3Config(dims, endOfText, imEnd),
    'generation_config.json': {
      bos_token_id: endOfText,
      pad_token_id: endOfText,
      do_sample: true,
      eos_token_id: [imEnd, endOfText],
      temperature: 0.6,
      top_k: 20,
      top_p: 0.95,
      transformers_version: '4.51.3',
    },
    'tokenizer.json': {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: QWEN_SPLIT_REGEX }, behavior: 'Isolated', invert: false },
          byteLevel,
        ],
      },
      post_processor: byteLevel,
      decoder: byteLevel,
      model: byteLevelBpeModel(tokens, merges),
    },
    'tokenizer_config.json': {
      add_bos_token: false,
      add_prefix_space: false,
      added_tokens_decoder: Object.fromEntries(added.map(({ id, ...rest }) => [String(id), rest])),
      additional_special_tokens: specialNames.filter((t) => t !== '<|endoftext|>'),
      bos_token: null,
      chat_template: CHAT_TEMPLATE,
      clean_up_tokenization_spaces: false,
      eos_token: '<|im_end|>',
      errors: 'replace',
      model_max_length: 131072,
      pad_token: '<|endoftext|>',
      split_special_tokens: false,
      tokenizer_class: 'Qwen2Tokenizer',
      unk_token: null,
    },
  };
}

function qwen3Config(dims: Qwen3Dims, endOfText: number, imEnd: number): Record<string, unknown> {
  const seqCls = dims.head === 'seq-cls';
  const qwen2 = dims.family === 'qwen2';
  return {
    architectures: [
      qwen2 ? 'Qwen2ForCausalLM' : seqCls ? 'Qwen3ForSequenceClassification' : 'Qwen3ForCausalLM',
    ],
    // Qwen2Config has neither key: its q/k/v projections always carry biases, head_dim is derived.
    ...(qwen2 ? {} : { attention_bias: false }),
    attention_dropout: 0.0,
    bos_token_id: endOfText,
    eos_token_id: imEnd,
    ...(qwen2 ? {} : { head_dim: dims.headDim }),
    hidden_act: 'silu',
    hidden_size: dims.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: dims.intermediateSize,
    max_position_embeddings: dims.maxPositionEmbeddings,
    max_window_layers: dims.numLayers,
    model_type: qwen2 ? 'qwen2' : 'qwen3',
    num_attention_heads: dims.numHeads,
    num_hidden_layers: dims.numLayers,
    num_key_value_heads: dims.numKeyValueHeads,
    rms_norm_eps: dims.rmsNormEps,
    rope_scaling: null,
    rope_theta: dims.ropeTheta,
    sliding_window: null,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    transformers_version: '4.51.3',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: dims.vocabSize,
    // The seq-cls head pools each row's last token that is not padding, so it must know the pad id.
    ...(seqCls
      ? { num_labels: 1, id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 }, pad_token_id: endOfText }
      : {}),
    _synthetic: 'random weights from @reranker/testkit; scores carry no meaning',
  };
}
