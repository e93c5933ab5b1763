import { runSliced, type UnifiedReRanker } from '@reranker/core';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { keepTails, passageBudget, type TokenWindow } from '../chunking';
import { HttpError } from '../errors';
import { checkDocumentCount, type RerankDeps, scoreForRequest, type TextSource } from '../execute';
import { instructionField, instructionOptions } from './instruction';
import { requestObject } from './request-object';

/** Hugging Face text-embeddings-inference's rerank request (optional fields sent as `null` are absent). */
export const teiRequest = requestObject({
  query: z.string().refine((q) => q.trim().length > 0, 'must not be empty'),
  texts: z.array(z.string()),
  raw_scores: z.boolean().default(false),
  return_text: z.boolean().default(false),
  truncate: z.boolean().optional(),
  truncation_direction: z
    .enum(['right', 'left', 'Right', 'Left'])
    .default('right')
    .transform((d) => d.toLowerCase() as 'right' | 'left'),
  /** An extension: which served model answers (see `ModelNames`). */
  model: z.string().optional(),
  instruction: instructionField,
});
type TeiRequest = z.infer<typeof teiRequest>;

/**
 * TEI `POST /rerank` (a body with `texts`): a bare array `[{ index, score, text? }]`, best first.
 * `score` is the relevance in [0, 1] (sigmoid / softmax), or the logit with `raw_scores`. Over-long
 * pairs are cut (this server auto-truncates, like TEI with --auto-truncate) unless `truncate: false`,
 * which refuses them with 413; `truncation_direction: "left"` keeps the end of each text. Both read
 * the texts' tokens once the request holds its slot, in slices.
 */
export async function teiRerank(deps: RerankDeps, req: Request, res: Response): Promise<void> {
  deps.service.require();
  if (Array.isArray(req.body?.texts)) checkDocumentCount(req.body.texts.length, deps.config, 'texts');
  const body = teiRequest.parse(req.body);
  if (body.texts.length === 0)
    throw new HttpError(400, 'EMPTY', '`texts` cannot be empty.', { field: 'texts' });
  const llm = instructionOptions(deps.names.resolve(body.model), body.instruction);
  const texts: TextSource =
    body.truncate === false
      ? (signal, model) => refuseTooLong(model.reranker, body, model.window, signal)
      : body.truncation_direction === 'left'
        ? (signal, model) => keepTailsOf(model.reranker, body, model.window, signal)
        : body.texts;
  const { results } = (await scoreForRequest(deps, res, body.model, body.query, texts, llm)).detailed;
  res.json(
    results.map((r) => ({
      index: r.index,
      score: body.raw_scores ? r.score : r.relevanceScore,
      ...(body.return_text && { text: body.texts[r.index] }),
    })),
  );
}

/** `truncate: false`: 413 for the first pair longer than the window (TEI's message). */
function refuseTooLong(
  reranker: UnifiedReRanker,
  body: TeiRequest,
  window: TokenWindow,
  signal: AbortSignal,
): Promise<string[]> {
  const { maxLength, pairSpecialTokens } = window;
  // Counting stops past the window: a 2 MB text costs no more than one that just overflows.
  const count = (text: string) => reranker.countTokens(text, { atMost: maxLength + 1 });
  return runSliced(
    async (clock) => {
      const queryTokens = count(body.query);
      for (const [i, text] of body.texts.entries()) {
        const textTokens = count(text);
        const tokens = queryTokens + textTokens + pairSpecialTokens;
        if (tokens > maxLength) {
          const given = Math.max(queryTokens, textTokens) > maxLength ? `more than ${maxLength}` : tokens;
          throw new HttpError(
            413,
            'INPUT_TOO_LONG',
            `\`inputs\` must have less than ${maxLength} tokens. Given: ${given} (texts[${i}]); shorten it or send "truncate": true.`,
            { field: `texts[${i}]` },
          );
        }
        if (clock.due()) await clock.yieldTurn();
      }
      return body.texts;
    },
    { signal },
  );
}

/** `truncation_direction: "left"`: each text's end that fits next to the query. */
function keepTailsOf(
  reranker: UnifiedReRanker,
  body: TeiRequest,
  window: TokenWindow,
  signal: AbortSignal,
): Promise<string[]> {
  const budget = passageBudget(window, reranker.countTokens(body.query, { atMost: window.maxQueryTokens }));
  return keepTails(body.texts, budget, (text) => reranker.countTokens(text), signal);
}
