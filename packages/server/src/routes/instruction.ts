import { MAX_INSTRUCTION_BYTES, validateInstruction } from '@reranker/core';
import { z } from 'zod';
import type { ModelEntry } from '../models/entry';

/**
 * The `instruction` extension of every rerank request (LLM rerankers): the task the model judges
 * documents against, instead of the server's default (`RERANKER_INSTRUCTION`, else the template's).
 * Optional; `null` is absent like every optional field (see `requestObject`). The schema only parses
 * a string: the rules (not blank, the byte limit, a cross-encoder takes none) are the engine's
 * (`validateInstruction`), applied by `instructionOptions`; min/max here only put them into the
 * OpenAPI document.
 */
export const instructionField = z
  .string({ error: 'must be a string' })
  .optional()
  .meta({
    minLength: 1,
    maxLength: MAX_INSTRUCTION_BYTES,
    description: `Extension, LLM rerankers only (e.g. Qwen3-Reranker): the task the documents are judged against, at most ${MAX_INSTRUCTION_BYTES} bytes (UTF-8). Absent or null: the server's default (RERANKER_INSTRUCTION, else the template's; see GET /info). A cross-encoder refuses it (400 for Cohere, 422 for native and TEI).`,
  });

/**
 * The options a route passes to the engine for this request's instruction, for the model the request
 * names (`ModelNames.resolve`), checked by the engine's rule before the request takes a lease or a
 * slot: a refused request (INVALID_INPUT, naming the field) never queues, and a cross-encoder never
 * scores as if it had read the instruction. A model not loaded yet has its kind checked by the engine
 * itself (the same refusal, once it loads).
 */
export function instructionOptions(
  model: Pick<ModelEntry, 'name' | 'info'>,
  instruction: string | undefined,
): { instruction?: string } {
  const checked = validateInstruction(instruction, { kind: model.info?.kind, name: model.name });
  return checked === undefined ? {} : { instruction: checked };
}
