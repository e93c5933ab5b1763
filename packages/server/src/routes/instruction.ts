import { z } from 'zod';
import { HttpError } from '../errors';
import type { ModelEntry } from '../models/entry';

/**
 * Longest `instruction` a request may send, in UTF-8 bytes. The instruction is part of every prompt of
 * the request and is never cut (only the document and then the query are), so a bound keeps one field
 * from eating the model's window; the model card's instructions are under 200 bytes.
 */
export const MAX_INSTRUCTION_BYTES = 4096;

const encoder = new TextEncoder();

/**
 * The `instruction` extension of every rerank request (LLM rerankers): the task the model judges
 * documents against, instead of the server's default (`RERANKER_INSTRUCTION`, else the template's).
 * Optional; `null` is absent like every optional field (see `requestObject`).
 */
const tooLong = `must be at most ${MAX_INSTRUCTION_BYTES} bytes (UTF-8)`;
const empty = 'must not be empty (leave it out for the default instruction)';
export const instructionField = z
  .string({ error: 'must be a string' })
  // min/max (characters) also put bounds into the OpenAPI document; the refinements are the real rules.
  .min(1, empty)
  .max(MAX_INSTRUCTION_BYTES, tooLong)
  .refine((text) => text.trim().length > 0, empty)
  .refine((text) => encoder.encode(text).length <= MAX_INSTRUCTION_BYTES, tooLong)
  .optional()
  .meta({
    description: `Extension, LLM rerankers only (e.g. Qwen3-Reranker): the task the documents are judged against, at most ${MAX_INSTRUCTION_BYTES} bytes (UTF-8). Absent or null: the server's default (RERANKER_INSTRUCTION, else the template's; see GET /info). A cross-encoder refuses it (400 for Cohere, 422 for native and TEI).`,
  });

/**
 * The options a route passes to the engine for this request's instruction, for the model the request
 * names (`ModelNames.resolve`). A cross-encoder takes none:
 * the request is refused (400-class in the request's flavour, naming the field) before it queues,
 * rather than scored as if the instruction had been read.
 */
export function instructionOptions(
  model: Pick<ModelEntry, 'name' | 'info'>,
  instruction: string | undefined,
): { instruction?: string } {
  if (instruction === undefined) return {};
  // A model not loaded yet is checked by the engine itself (the same refusal, once it loads).
  const kind = model.info?.kind;
  if (kind === 'cross-encoder') {
    throw new HttpError(
      400,
      'INVALID_INPUT',
      `instruction applies to LLM rerankers (e.g. Qwen3-Reranker); the model ${model.name} is a cross-encoder, which takes none. Leave instruction out.`,
      { field: 'instruction' },
    );
  }
  return { instruction };
}
