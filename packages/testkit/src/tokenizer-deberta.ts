import type { ModelDims } from './presets';
import { addedToken, sequence, special, type TokenizerFiles } from './tokenizer-parts';
import { DEBERTA_SPECIALS, debertaVocabulary, METASPACE } from './vocab';

/**
 * Tokenizer files in the layout of DeBERTa-v3's fast tokenizer (mixedbread-ai/mxbai-rerank-*-v1):
 * a SentencePiece Unigram model behind a Metaspace pre-tokenizer, `[CLS] A [SEP] B [SEP]` pairs with
 * token types 0 then 1 (the template says so even though the model has no token-type table). The
 * real normalizer is SentencePiece's precompiled NFKC charsmap; NFKC stands in for it here.
 */
export function debertaTokenizer(dims: ModelDims): TokenizerFiles {
  const vocab = debertaVocabulary(dims.vocabSize, dims.vocabWords);
  const { pad, cls, sep, unk, mask } = DEBERTA_SPECIALS;
  const id = (token: string) => vocab.findIndex(([p]) => p === token);
  const metaspace = { type: 'Metaspace', replacement: METASPACE, prepend_scheme: 'always', split: true };
  return {
    'tokenizer.json': {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [pad, cls, sep, unk, mask].map((t) => addedToken(id(t), t)),
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Strip', strip_left: true, strip_right: true },
          { type: 'NFKC' },
          { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
        ],
      },
      pre_tokenizer: metaspace,
      post_processor: {
        type: 'TemplateProcessing',
        single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
        pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
        special_tokens: {
          [cls]: { id: cls, ids: [id(cls)], tokens: [cls] },
          [sep]: { id: sep, ids: [id(sep)], tokens: [sep] },
        },
      },
      decoder: metaspace,
      model: { type: 'Unigram', unk_id: id(unk), vocab, byte_fallback: false },
    },
    'tokenizer_config.json': {
      tokenizer_class: 'DebertaV2Tokenizer',
      model_max_length: dims.modelMaxLength,
      do_lower_case: false,
      split_by_punct: false,
      vocab_type: 'spm',
      bos_token: cls,
      eos_token: sep,
      cls_token: cls,
      sep_token: sep,
      unk_token: unk,
      pad_token: pad,
      mask_token: mask,
      clean_up_tokenization_spaces: true,
    },
    'special_tokens_map.json': {
      bos_token: cls,
      eos_token: sep,
      cls_token: cls,
      sep_token: sep,
      unk_token: unk,
      pad_token: pad,
      mask_token: mask,
    },
  };
}
