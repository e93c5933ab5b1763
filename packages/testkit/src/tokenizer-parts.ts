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
