import { RerankerError } from '../errors';

/** A tokenized (query, document) pair, ready to batch: special tokens included, no padding. */
export interface EncodedPair {
  inputIds: number[];
  tokenTypeIds: number[];
}

/** One piece of a pair template: fixed special-token ids, or one of the two texts. */
export type TemplatePart =
  | { kind: 'special'; ids: readonly number[]; typeId: number }
  | { kind: 'A' | 'B'; typeId: number };

/** How the model lays out a pair, read from tokenizer.json `post_processor`. */
export interface PairTemplate {
  readonly parts: readonly TemplatePart[];
  /** Special tokens the pair adds (BERT 3, XLM-R 4). */
  readonly specialCount: number;
}

/** Looks a token up in the vocabulary and added tokens; for templates naming a token without its ids. */
export type TokenLookup = (token: string) => number | undefined;

const SUPPORTED = 'TemplateProcessing, BertProcessing, RobertaProcessing, or a Sequence holding one of them';

function fail(message: string): never {
  throw new RerankerError(
    'MODEL_LOAD_FAILED',
    `${message} The pair layout comes from tokenizer.json "post_processor", which must be ${SUPPORTED}.`,
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isTypeId = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** `[token, id]` as BertProcessing and RobertaProcessing store `cls` and `sep`. */
function tokenId(value: unknown, field: string, type: string): number {
  if (Array.isArray(value) && typeof value[0] === 'string' && isTypeId(value[1])) return value[1];
  return fail(`${type} "${field}" must be a [token, id] pair, got ${JSON.stringify(value)}.`);
}

function specialIds(name: string, specialTokens: unknown, lookup: TokenLookup): number[] {
  const entry = isRecord(specialTokens) ? specialTokens[name] : undefined;
  if (isRecord(entry) && Array.isArray(entry.ids) && entry.ids.every(isTypeId)) return [...entry.ids];
  const id = lookup(name);
  if (id === undefined) fail(`TemplateProcessing names the special token "${name}", which has no id.`);
  return [id];
}

function fromTemplateProcessing(config: Record<string, unknown>, lookup: TokenLookup): TemplatePart[] {
  if (!Array.isArray(config.pair)) fail('TemplateProcessing has no "pair" template.');
  return config.pair.map((item: unknown): TemplatePart => {
    const special = isRecord(item) ? item.SpecialToken : undefined;
    const sequence = isRecord(item) ? item.Sequence : undefined;
    if (isRecord(special) && typeof special.id === 'string' && isTypeId(special.type_id)) {
      return {
        kind: 'special',
        ids: specialIds(special.id, config.special_tokens, lookup),
        typeId: special.type_id,
      };
    }
    if (isRecord(sequence) && (sequence.id === 'A' || sequence.id === 'B') && isTypeId(sequence.type_id)) {
      return { kind: sequence.id, typeId: sequence.type_id };
    }
    return fail(`TemplateProcessing has an invalid pair item ${JSON.stringify(item)}.`);
  });
}

/** The template of one processor, or undefined for processors that add no tokens (ByteLevel). */
function partsOf(config: unknown, lookup: TokenLookup): TemplatePart[] | undefined {
  const type = isRecord(config) ? config.type : undefined;
  if (!isRecord(config) || typeof type !== 'string') {
    return fail(`tokenizer.json has no usable post_processor (got ${JSON.stringify(config ?? null)}).`);
  }
  const special = (field: string, typeId: number): TemplatePart => ({
    kind: 'special',
    ids: [tokenId(config[field], field, type)],
    typeId,
  });
  switch (type) {
    case 'TemplateProcessing':
      return fromTemplateProcessing(config, lookup);
    case 'BertProcessing':
      return [
        special('cls', 0),
        { kind: 'A', typeId: 0 },
        special('sep', 0),
        { kind: 'B', typeId: 1 },
        special('sep', 1),
      ];
    case 'RobertaProcessing':
      // Every RoBERTa type id is 0, as in Hugging Face's Rust RobertaProcessing ("Roberta is weird").
      return [
        special('cls', 0),
        { kind: 'A', typeId: 0 },
        special('sep', 0),
        special('sep', 0),
        { kind: 'B', typeId: 0 },
        special('sep', 0),
      ];
    case 'ByteLevel':
      return undefined;
    case 'Sequence': {
      if (!Array.isArray(config.processors)) fail('The Sequence post-processor has no "processors" list.');
      const found = config.processors
        .map((p: unknown) => partsOf(p, lookup))
        .filter((p): p is TemplatePart[] => p !== undefined);
      if (found.length !== 1) {
        fail(
          `The Sequence post-processor holds ${found.length} processors that add special tokens; need one.`,
        );
      }
      return found[0];
    }
    default:
      return fail(`The post-processor type "${type}" is not supported.`);
  }
}

/** Reads the pair layout of tokenizer.json `post_processor`; throws MODEL_LOAD_FAILED for others. */
export function parsePairTemplate(
  postProcessor: unknown,
  lookup: TokenLookup = () => undefined,
): PairTemplate {
  const parts = partsOf(postProcessor, lookup);
  if (parts === undefined) return fail('The post-processor "ByteLevel" adds no pair template.');
  const count = (kind: 'A' | 'B') => parts.filter((p) => p.kind === kind).length;
  if (count('A') !== 1 || count('B') !== 1) {
    fail('The pair template must hold the query (A) and the document (B) exactly once each.');
  }
  let specialCount = 0;
  for (const part of parts) if (part.kind === 'special') specialCount += part.ids.length;
  return { parts, specialCount };
}

/**
 * Lays out `[specials] A[0..aLength) [specials] B[0..bLength) [specials]` as the template says,
 * reading only the kept prefix of each sequence so callers never copy to truncate.
 */
export function assemblePair(
  template: PairTemplate,
  a: readonly number[],
  aLength: number,
  b: readonly number[],
  bLength: number,
  zeroTypes: boolean,
): EncodedPair {
  const length = template.specialCount + aLength + bLength;
  const inputIds = new Array<number>(length);
  const tokenTypeIds = new Array<number>(length);
  let k = 0;
  for (const part of template.parts) {
    const typeId = zeroTypes ? 0 : part.typeId;
    if (part.kind === 'special') {
      for (const id of part.ids) {
        inputIds[k] = id;
        tokenTypeIds[k++] = typeId;
      }
      continue;
    }
    const [source, n] = part.kind === 'A' ? [a, aLength] : [b, bLength];
    for (let i = 0; i < n; i++) {
      inputIds[k] = source[i] as number;
      tokenTypeIds[k++] = typeId;
    }
  }
  return { inputIds, tokenTypeIds };
}
