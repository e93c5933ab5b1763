import type { Request, Response } from 'express';
import { z } from 'zod';
import { keepTail, passageBudget } from '../chunking';
import { HttpError } from '../errors';
import { checkDocumentCount, type RerankDeps, scoreForRequest, windowOf } from '../execute';

/** Hugging Face text-embeddings-inference's rerank request. */
export const teiRequest = z.object({
  query: z.string().refine((q) => q.trim().length > 0, 'must not be empty'),
  texts: z.array(z.string()),
  raw_scores: z.boolean().default(false),
  return_text: z.boolean().default(false),
  truncate: z.boolean().nullish(),
  truncation_direction: z
    .enum(['right', 'left', 'Right', 'Left'])
    .default('right')
    .transform((d) => d.toLowerCase() as 'right' | 'left'),
});

/**
 * TEI `POST /rerank` (a body with `texts`): a bare array `[{ index, score, text? }]`, best first.
 * `score` is the relevance in [0, 1] (sigmoid / softmax), or the logit with `raw_scores`. Over-long
 * pairs are cut (this server auto-truncates, like TEI with --auto-truncate) unless `truncate: false`,
 * which refuses them with 413; `truncation_direction: "left"` keeps the end of each text.
 */
export async function teiRerank(deps: RerankDeps, req: Request, res: Response): Promise<void> {
  const reranker = deps.service.require();
  if (Array.isArray(req.body?.texts)) checkDocumentCount(req.body.texts.length, deps.config, 'texts');
  const body = teiRequest.parse(req.body);
  if (body.texts.length === 0)
    throw new HttpError(400, 'EMPTY', '`texts` cannot be empty.', { field: 'texts' });
  const window = windowOf(deps.service);
  const { maxLength } = window;
  const count = (text: string) => reranker.countTokens(text);
  let texts = body.texts;
  if (body.truncate === false) {
    const queryTokens = count(body.query);
    body.texts.forEach((text, i) => {
      const tokens = queryTokens + count(text) + window.pairSpecialTokens;
      if (tokens > maxLength) {
        throw new HttpError(
          413,
          'INPUT_TOO_LONG',
          `\`inputs\` must have less than ${maxLength} tokens. Given: ${tokens} (texts[${i}]); shorten it or send "truncate": true.`,
          { field: `texts[${i}]` },
        );
      }
    });
  } else if (body.truncation_direction === 'left') {
    const budget = passageBudget(window, count(body.query));
    texts = texts.map((text) => keepTail(text, budget, count));
  }
  const { results } = await scoreForRequest(deps, res, reranker, body.query, texts);
  res.json(
    results.map((r) => ({
      index: r.index,
      score: body.raw_scores ? r.score : r.relevanceScore,
      ...(body.return_text && { text: body.texts[r.index] }),
    })),
  );
}
