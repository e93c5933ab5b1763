import type { ModelDims } from './presets';
import { debertaTokenizer } from './tokenizer-deberta';
import { modernBertTokenizer } from './tokenizer-modernbert';
import { addedToken, sequence, special, type TokenizerFiles } from './tokenizer-parts';
import { BERT_SPECIALS, bertVocabulary, METASPACE, XLMR_SPECIALS, xlmrVocabulary } from './vocab';

export type { TokenizerFiles };

/** Tokenizer files in the layout of the architecture's Hugging Face tokenizer. */
export function tokenizerFiles(dims: ModelDims): TokenizerFiles {
  if (dims.architecture === 'deberta-v2') return debertaTokenizer(dims);
  if (dims.architecture === 'modernbert') return modernBertTokenizer(dims);
  return dims.architecture === 'bert' ? bertTokenizer(dims) : xlmrTokenizer(dims);
}

function bertTokenizer(dims: ModelDims): TokenizerFiles {
  const vocab = bertVocabulary(dims.vocabSize, dims.vocabWords);
  const id = (token: string) => vocab.indexOf(token);
  const { pad, unk, cls, sep, mask } = BERT_SPECIALS;
  const specialIds = { [cls]: id(cls), [sep]: id(sep) };
  return {
    'tokenizer.json': {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [pad, unk, cls, sep, mask].map((t) => addedToken(id(t), t)),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: true,
        strip_accents: null,
        lowercase: true,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
        pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
        special_tokens: Object.fromEntries(
          Object.entries(specialIds).map(([t, i]) => [t, { id: t, ids: [i], tokens: [t] }]),
        ),
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: unk,
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
      },
    },
    'tokenizer_config.json': {
      tokenizer_class: 'BertTokenizer',
      model_max_length: dims.modelMaxLength,
      do_lower_case: true,
      tokenize_chinese_chars: true,
      strip_accents: null,
      clean_up_tokenization_spaces: true,
      cls_token: cls,
      sep_token: sep,
      pad_token: pad,
      unk_token: unk,
      mask_token: mask,
    },
    'special_tokens_map.json': {
      cls_token: cls,
      sep_token: sep,
      pad_token: pad,
      unk_token: unk,
      mask_token: mask,
    },
  };
}

function xlmrTokenizer(dims: ModelDims): TokenizerFiles {
  const vocab = xlmrVocabulary(dims.vocabSize, dims.vocabWords);
  const { bos, pad, eos, unk, mask } = XLMR_SPECIALS;
  const id = (token: string) => vocab.findIndex(([p]) => p === token);
  return {
    'tokenizer.json': {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [
        addedToken(id(bos), bos),
        addedToken(id(pad), pad),
        addedToken(id(eos), eos),
        addedToken(id(unk), unk),
        addedToken(id(mask), mask, true),
      ],
      normalizer: { type: 'NFKC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'WhitespaceSplit' },
          { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true },
        ],
      },
      // XLM-R pairs are `<s> A </s></s> B </s>`; the model has one token type, so every type_id is 0.
      post_processor: {
        type: 'TemplateProcessing',
        single: [special(bos, 0), sequence('A', 0), special(eos, 0)],
        pair: [
          special(bos, 0),
          sequence('A', 0),
          special(eos, 0),
          special(eos, 0),
          sequence('B', 0),
          special(eos, 0),
        ],
        special_tokens: {
          [bos]: { id: bos, ids: [id(bos)], tokens: [bos] },
          [eos]: { id: eos, ids: [id(eos)], tokens: [eos] },
        },
      },
      decoder: { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true },
      model: { type: 'Unigram', unk_id: id(unk), vocab, byte_fallback: false },
    },
    'tokenizer_config.json': {
      tokenizer_class: 'XLMRobertaTokenizer',
      model_max_length: dims.modelMaxLength,
      bos_token: bos,
      eos_token: eos,
      sep_token: eos,
      cls_token: bos,
      unk_token: unk,
      pad_token: pad,
      mask_token: mask,
      clean_up_tokenization_spaces: true,
    },
    'special_tokens_map.json': {
      bos_token: bos,
      eos_token: eos,
      sep_token: eos,
      cls_token: bos,
      unk_token: unk,
      pad_token: pad,
      mask_token: mask,
    },
  };
}
