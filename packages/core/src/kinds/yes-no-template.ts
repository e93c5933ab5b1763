import { RerankerError } from '../errors';

/**
 * How a yes/no LLM reranker is prompted and read, as plain data (JSON-able). The prompt of a pair is
 * `prefix + body + suffix`, each tokenized on its own without special tokens (as the Qwen3-Reranker
 * model card does), and the score is read at the last position from the two label tokens' logits.
 */
export interface YesNoRerankerTemplate {
  /** Shown by `info()` and part of every pair cache key, e.g. `qwen3-reranker`. */
  name: string;
  /** Fixed text before the body (for Qwen3: the system turn and the opening of the user turn). */
  prefix: string;
  /**
   * The user content with the slots `{query}` and `{document}` once each and `{instruction}` at most
   * once, in that order, ending with `{document}` (put fixed text after the document into `suffix`).
   */
  body: string;
  /** Fixed text after the body (for Qwen3: closing the user turn, opening the assistant's). */
  suffix: string;
  /** Vocabulary tokens (one token each) compared at the last position: `score = logit(yes) - logit(no)`. */
  labels: { yes: string; no: string };
  /** The instruction when neither the request nor the reranker options give one. */
  defaultInstruction: string;
}

/** The Qwen3-Reranker model card's prompt, labels and default instruction, reproduced exactly. */
export const QWEN3_RERANKER_TEMPLATE: Readonly<YesNoRerankerTemplate> = Object.freeze({
  name: 'qwen3-reranker',
  prefix:
    '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n',
  body: '<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {document}',
  suffix: '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
  labels: Object.freeze({ yes: 'yes', no: 'no' }),
  defaultInstruction: 'Given a web search query, retrieve relevant passages that answer the query',
});

const SLOT = /\{(instruction|query|document)\}/g;

function invalid(message: string): never {
  throw new RerankerError('INVALID_CONFIG', `Invalid reranker template: ${message}`);
}

/** Throws INVALID_CONFIG unless the template is well formed (see `YesNoRerankerTemplate`). */
export function validateTemplate(template: YesNoRerankerTemplate): void {
  if (typeof template !== 'object' || template === null) invalid('it must be an object.');
  for (const field of ['name', 'prefix', 'body', 'suffix', 'defaultInstruction'] as const) {
    if (typeof template[field] !== 'string') invalid(`"${field}" must be a string.`);
  }
  if (template.name.length === 0) invalid('"name" must not be empty.');
  const labels = template.labels;
  if (typeof labels?.yes !== 'string' || typeof labels.no !== 'string' || labels.yes === labels.no) {
    invalid('"labels" must name two different tokens, { yes, no }.');
  }
  const slots = [...template.body.matchAll(SLOT)].map((m) => m[1]);
  const order = slots.filter((s) => s !== 'instruction');
  const instructions = slots.filter((s) => s === 'instruction').length;
  if (
    order.join() !== 'query,document' ||
    instructions > 1 ||
    (instructions === 1 && slots[0] !== 'instruction')
  ) {
    invalid(
      `"body" must hold {instruction} (optional), {query} and {document} once each, in that order; got ${JSON.stringify(template.body)}.`,
    );
  }
  if (!template.body.endsWith('{document}')) {
    invalid('"body" must end with {document}: put fixed text after the document into "suffix".');
  }
}

/** Fills `{instruction}` and `{query}` in one pass (a query holding `{document}` stays literal text). */
export function fillSlots(text: string, values: { instruction: string; query: string }): string {
  return text.replace(SLOT, (whole, slot: string) =>
    slot === 'instruction' ? values.instruction : slot === 'query' ? values.query : whole,
  );
}
