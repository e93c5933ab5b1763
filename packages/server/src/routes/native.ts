import type { Request, Response } from 'express';
import { z } from 'zod';
import { checkDocumentCount, type RerankDeps, scoreForRequest } from '../execute';
import { type PairTokens, pairTokens } from '../pair-tokens';
import { instructionField, instructionOptions } from './instruction';
import { requestObject } from './request-object';

const document = z.union([z.string(), z.looseObject({ text: z.string() })], {
  error: 'each document must be a string or an object with a string "text"',
});

/**
 * The original service's request: `top_k` absent, <= 0 or > n means every document. Optional fields
 * sent as `null` are absent.
 */
export const nativeRequest = requestObject({
  query: z.string().refine((q) => q.trim().length > 0, 'must not be empty'),
  documents: z.array(document),
  top_k: z.number().int().optional(),
  return_documents: z.boolean().default(true),
  return_tokens: z.boolean().default(false),
  /** An extension: which served model answers (see `ModelNames`). */
  model: z.string().optional(),
  instruction: instructionField,
});

/**
 * Native `POST /rerank`: `{ query, documents, top_k?, return_documents?, return_tokens?, instruction? }` ->
 * `{ results: [{ index, document, score, relevance_score }], processing_time_ms }`, best first.
 * `score` is the raw logit (as the original), `relevance_score` its sigmoid. `return_tokens: true` (an
 * extension, off by default) adds each pair's `tokens` and `truncated`, counted inside the request's
 * slot so the counting waits its turn like scoring.
 */
export async function nativeRerank(deps: RerankDeps, req: Request, res: Response): Promise<void> {
  deps.service.require();
  const started = performance.now();
  // Count first: a huge list is refused before every item is validated.
  if (Array.isArray(req.body?.documents))
    checkDocumentCount(req.body.documents.length, deps.config, 'documents');
  const body = nativeRequest.parse(req.body ?? {});
  const llm = instructionOptions(deps.names.resolve(body.model), body.instruction);
  const texts = body.documents.map((d) => (typeof d === 'string' ? d : d.text));
  let tokens: PairTokens[] | undefined;
  const { detailed } = await scoreForRequest(
    deps,
    res,
    body.model,
    body.query,
    body.return_tokens
      ? async (signal, model) => {
          tokens = await pairTokens(model.reranker, model.info, body.query, texts, signal);
          return texts;
        }
      : texts,
    llm,
  );
  const { results } = detailed;
  const topK = body.top_k && body.top_k > 0 ? body.top_k : results.length;
  res.json({
    results: results.slice(0, topK).map((r) => ({
      index: r.index,
      ...(body.return_documents && { document: body.documents[r.index] }),
      score: r.score,
      relevance_score: r.relevanceScore,
      ...tokens?.[r.index],
    })),
    processing_time_ms: Math.round((performance.now() - started) * 1000) / 1000,
  });
}
