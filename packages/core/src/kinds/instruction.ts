import { RerankerError } from '../errors';
import type { ModelKindName } from './kind';

/**
 * Longest instruction a call may give, in UTF-8 bytes. The instruction is part of every prompt of the
 * call and is never cut (only the document and then the query are), so a bound keeps one field from
 * eating the model's window; the model card's instructions are under 200 bytes.
 */
export const MAX_INSTRUCTION_BYTES = 4096;

const encoder = new TextEncoder();

const refuse = (message: string) =>
  new RerankerError('INVALID_INPUT', message, { details: { field: 'instruction' } });

/**
 * The one rule for a call's `instruction` (`rerank`, `score`, and a server checking a request before
 * it queues): absent passes; otherwise a string, not blank, of at most `MAX_INSTRUCTION_BYTES`, for a
 * model kind that reads one (LLM rerankers: a cross-encoder would silently ignore it). Throws
 * INVALID_INPUT with `details.field` = 'instruction'. Without `kind` (a model not loaded yet) only the
 * text is checked; the engine checks the kind once the model is loaded.
 * @param model.name The model as the message names it.
 * @returns The instruction as given.
 */
export function validateInstruction(
  requested: unknown,
  model: { kind?: ModelKindName; name: string },
): string | undefined {
  if (requested === undefined) return undefined;
  if (typeof requested !== 'string') throw refuse(`instruction must be a string, got ${typeof requested}.`);
  if (requested.trim().length === 0) {
    throw refuse('instruction: must not be empty (leave it out for the default instruction).');
  }
  if (requested.length > MAX_INSTRUCTION_BYTES || encoder.encode(requested).length > MAX_INSTRUCTION_BYTES) {
    throw refuse(`instruction: must be at most ${MAX_INSTRUCTION_BYTES} bytes (UTF-8).`);
  }
  if (model.kind === 'cross-encoder') {
    throw refuse(
      `instruction applies to LLM rerankers (e.g. Qwen3-Reranker); the model ${model.name} is a cross-encoder, which takes no instruction. Leave instruction out.`,
    );
  }
  return requested;
}
