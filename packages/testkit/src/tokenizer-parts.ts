/** Pieces every synthesized tokenizer.json is made of. */

/** The three tokenizer files `from_pretrained` reads, as JSON-ready objects. */
export interface TokenizerFiles {
  'tokenizer.json': unknown;
  'tokenizer_config.json': unknown;
  'special_tokens_map.json': unknown;
}

export const addedToken = (id: number, content: string, lstrip = false) => ({
  id,
  content,
  single_word: false,
  lstrip,
  rstrip: false,
  normalized: false,
  special: true,
});

export const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
export const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });

/**
 * The `model` of a byte-level BPE tokenizer.json as GPT-2's family writes it (no subword prefix or
 * suffix, no unknown token, no byte fallback): each token's id is its position in `vocab`; `merges`
 * as "a b" strings or [a, b] pairs, the two forms tokenizers writes.
 */
export const byteLevelBpeModel = (
  vocab: readonly string[],
  merges: readonly string[] | readonly (readonly [string, string])[],
) => ({
  type: 'BPE',
  dropout: null,
  unk_token: null,
  continuing_subword_prefix: '',
  end_of_word_suffix: '',
  fuse_unk: false,
  byte_fallback: false,
  ignore_merges: false,
  vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
  merges,
});
