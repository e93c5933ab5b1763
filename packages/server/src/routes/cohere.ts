import { randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { type ChunkPlan, passageBudget, planChunks } from '../chunking';
import { HttpError } from '../errors';
import { checkDocumentCount, type RerankDeps, scoreForRequest, tag } from '../execute';
import { instructionField, instructionOptions } from './instruction';
import { requestObject } from './request-object';

/** Cohere v1's default `max_chunks_per_doc`, and v2's default `max_tokens_per_doc`. */
export const DEFAULT_MAX_CHUNKS_PER_DOC = 10;
export const DEFAULT_MAX_TOKENS_PER_DOC = 4096;
/** Cohere's own cap on documents x chunks in one request. */
export const MAX_CHUNKS_PER_REQUEST = 10_000;

const positive = (name: string) =>
  z.number().int(`${name} must be a whole number`).min(1, `${name} must be at least 1`);

/**
 * Cohere v1/v2 and Jina requests (one schema: v2 is a subset of v1, Jina of both). Optional fields
 * sent as `null` are absent (cohere-ai sends every unset field so).
 */
export const cohereRequest = requestObject({
  model: z.string().optional(),
  query: z.string().refine((q) => q.trim().length > 0, 'must not be empty'),
  documents: z.array(z.union([z.string(), z.record(z.string(), z.unknown())]), {
    error: 'documents must be an array of strings or objects',
  }),
  top_n: positive('top_n').optional(),
  return_documents: z.boolean().optional(),
  rank_fields: z.array(z.string()).min(1).optional(),
  max_chunks_per_doc: positive('max_chunks_per_doc').optional(),
  max_tokens_per_doc: positive('max_tokens_per_doc').optional(),
  priority: z.number().optional(),
  instruction: instructionField,
});
type CohereRequest = z.infer<typeof cohereRequest>;

/** `POST /v1/rerank` (Cohere v1 and Jina) and `POST /v2/rerank` (Cohere v2). */
export function cohereRoutes(deps: RerankDeps): Router {
  const router = Router();
  for (const version of ['1', '2'] as const) {
    router.post(
      `/v${version}/rerank`,
      tag(`/v${version}/rerank`, 'cohere'),
      deps.auth,
      deps.json,
      (req, res) => cohereRerank(deps, req, res, version),
    );
  }
  return router;
}

/**
 * One response that Cohere's, Jina's and Together's clients all read: `id`, `model` (what really ran),
 * `results` best first with `relevance_score` in [0, 1] and `document: { text, ...fields }` when asked,
 * `meta.api_version`, `meta.billed_units.search_units` and `usage` (`total_tokens` as Jina, with
 * `prompt_tokens` and `completion_tokens: 0` as Together). Documents are returned by default on v1
 * (Jina's default; Cohere v1 clients accept them) and only on request on v2. Long documents are
 * chunked (see `planChunks`) once the request holds its slot.
 */
export async function cohereRerank(
  deps: RerankDeps,
  req: Request,
  res: Response,
  version: '1' | '2',
): Promise<void> {
  deps.service.require();
  if (Array.isArray(req.body?.documents))
    checkDocumentCount(req.body.documents.length, deps.config, 'documents');
  const body = cohereRequest.parse(req.body ?? {});
  const llm = instructionOptions(deps.names.resolve(body.model), body.instruction);
  const texts = body.documents.map((doc, i) => documentText(doc, i, body.rank_fields));
  let plan: ChunkPlan = { texts: [], owner: [] };
  const scored = await scoreForRequest(
    deps,
    res,
    body.model,
    body.query,
    async (signal, { reranker, window }) => {
      plan = await planChunks(texts, {
        budget: passageBudget(window, reranker.countTokens(body.query, { atMost: window.maxQueryTokens })),
        maxChunks: body.max_chunks_per_doc ?? DEFAULT_MAX_CHUNKS_PER_DOC,
        maxTokens: body.max_tokens_per_doc ?? (version === '2' ? DEFAULT_MAX_TOKENS_PER_DOC : undefined),
        maxTexts: MAX_CHUNKS_PER_REQUEST,
        count: (text) => reranker.countTokens(text),
        signal,
      });
      if (plan.texts.length > MAX_CHUNKS_PER_REQUEST) {
        throw new HttpError(
          400,
          'INPUT_TOO_LONG',
          `The documents split into more than ${MAX_CHUNKS_PER_REQUEST} chunks: send fewer or shorter documents, or lower max_chunks_per_doc.`,
          { field: 'documents' },
        );
      }
      return plan.texts;
    },
    llm,
  );
  const { detailed, model } = scored;
  const best = bestPerDocument(plan, detailed.results);
  const returnDocuments = body.return_documents ?? version === '1';
  const tokens = detailed.usage.tokens;
  res.json({
    id: randomUUID(),
    model,
    results: best.slice(0, body.top_n ?? best.length).map(({ index, relevanceScore }) => ({
      index,
      relevance_score: relevanceScore,
      ...(returnDocuments && { document: returnedDocument(body.documents[index]!, texts[index]!) }),
    })),
    meta: {
      api_version: { version },
      billed_units: { search_units: Math.max(1, Math.ceil(plan.texts.length / 100)) },
    },
    usage: { prompt_tokens: tokens, completion_tokens: 0, total_tokens: tokens },
  });
}

/**
 * The text a document is ranked on: itself, its `text`, or its `rank_fields` as `field: value` lines.
 * Only the document's own fields holding strings count: an inherited name (`constructor`,
 * `toString`) or a value of another type is a missing field.
 */
function documentText(doc: CohereRequest['documents'][number], i: number, rankFields?: string[]): string {
  if (typeof doc === 'string') return doc;
  if (rankFields) {
    const lines = rankFields.flatMap((field) => {
      const value = ownString(doc, field);
      return value === undefined ? [] : [`${field}: ${value}`];
    });
    if (lines.length > 0) return lines.join('\n');
    throw new HttpError(
      400,
      'INVALID_INPUT',
      `documents[${i}] has none of the rank_fields ${rankFields.join(', ')} as a string field.`,
      { field: `documents[${i}]` },
    );
  }
  const text = ownString(doc, 'text');
  if (text !== undefined) return text;
  throw new HttpError(
    400,
    'INVALID_INPUT',
    `documents[${i}] is an object without a string "text": add one, or name the fields to rank on in rank_fields.`,
    { field: `documents[${i}]` },
  );
}

function ownString(doc: Record<string, unknown>, field: string): string | undefined {
  const value = Object.hasOwn(doc, field) ? doc[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Cohere clients require `document.text`; object documents come back whole, with `text` if missing. */
function returnedDocument(doc: CohereRequest['documents'][number], text: string): Record<string, unknown> {
  if (typeof doc === 'string') return { text: doc };
  return ownString(doc, 'text') === undefined ? { ...doc, text } : doc;
}

/** Each document's best chunk, best document first (ties by input position). */
function bestPerDocument(
  plan: ChunkPlan,
  results: { index: number; score: number; relevanceScore: number }[],
): { index: number; score: number; relevanceScore: number }[] {
  const best = new Map<number, { index: number; score: number; relevanceScore: number }>();
  for (const r of results) {
    const owner = plan.owner[r.index]!;
    const seen = best.get(owner);
    if (!seen || r.score > seen.score)
      best.set(owner, { index: owner, score: r.score, relevanceScore: r.relevanceScore });
  }
  return [...best.values()].sort((a, b) => b.score - a.score || a.index - b.index);
}
