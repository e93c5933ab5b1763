/**
 * How a yes/no LLM reranker is prompted and read, as plain data (JSON-able) so an engine can take it
 * from a file for other rerankers of a supported architecture. The values below are the Qwen3-Reranker
 * model card's, reproduced exactly: the card tokenizes `prefix`, the filled `body` and `suffix`
 * separately (without special tokens added) and concatenates the ids.
 */
export interface YesNoRerankerTemplate {
  /** Fixed text before the body (system turn and the opening of the user turn). */
  prefix: string;
  /** The user content, with `{instruction}`, `{query}` and `{document}` slots, each once, in that order. */
  body: string;
  /** Fixed text after the body (closing the user turn, opening the assistant's with an empty think block). */
  suffix: string;
  /** Vocabulary tokens whose logits at the last position are compared: `score = logit(yes) - logit(no)`. */
  labels: { yes: string; no: string };
  /** Used when the request gives no instruction. */
  defaultInstruction: string;
}

export const QWEN3_RERANKER_TEMPLATE: Readonly<YesNoRerankerTemplate> = Object.freeze({
  prefix:
    '<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".<|im_end|>\n<|im_start|>user\n',
  body: '<Instruct>: {instruction}\n<Query>: {query}\n<Document>: {document}',
  suffix: '<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n',
  labels: Object.freeze({ yes: 'yes', no: 'no' }),
  defaultInstruction: 'Given a web search query, retrieve relevant passages that answer the query',
});

export interface RerankPromptInput {
  query: string;
  document: string;
  /** @default template.defaultInstruction */
  instruction?: string;
}

/**
 * The body with its slots filled. Slots are replaced in one pass, so a query that itself contains
 * `{document}` stays literal text.
 */
export function fillBody(template: YesNoRerankerTemplate, input: RerankPromptInput): string {
  const values: Record<string, string> = {
    instruction: input.instruction ?? template.defaultInstruction,
    query: input.query,
    document: input.document,
  };
  return template.body.replace(/\{(instruction|query|document)\}/g, (_, slot: string) => values[slot]!);
}

/** The whole prompt as one string: prefix + filled body + suffix. */
export function formatRerankPrompt(template: YesNoRerankerTemplate, input: RerankPromptInput): string {
  return template.prefix + fillBody(template, input) + template.suffix;
}

/** The prompt's ids as the model card builds them: prefix, body and suffix encoded apart, then joined. */
export function encodeRerankPrompt(
  template: YesNoRerankerTemplate,
  input: RerankPromptInput,
  encode: (text: string) => number[],
): number[] {
  return [...encode(template.prefix), ...encode(fillBody(template, input)), ...encode(template.suffix)];
}
