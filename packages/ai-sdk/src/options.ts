import {
  InvalidArgumentError,
  type JSONObject,
  type RerankingModelV4CallOptions,
  type SharedV4Warning,
} from '@ai-sdk/provider';
import { parseProviderOptions } from '@ai-sdk/provider-utils';
import { z } from 'zod';

/** The key of this provider's options in `rerank({ providerOptions })`. */
export const PROVIDER = 'reranker';

const providerOptionsSchema = z.object({
  rankFields: z.array(z.string()).min(1).optional(),
  returnDocuments: z.boolean().optional(),
  maxTokensPerDoc: z.number().int().min(1).optional(),
  instruction: z.string().optional(),
});

/** `rerank({ providerOptions: { reranker: … } })`. */
export interface RerankerProviderOptions {
  /**
   * Fields of object documents to rank on: their string values become `field: value` lines (as
   * Cohere's `rank_fields`). @default the object's `text` field
   */
  rankFields?: string[];
  /**
   * Ask the server to echo the documents in its response (`result.response.body`). `rerank()` already
   * gives your documents back, so this only fattens the response. Ignored in-process. @default false
   */
  returnDocuments?: boolean;
  /**
   * Server only: documents longer than this many tokens are split into chunks and each document scores
   * as its best chunk (Cohere v2's `max_tokens_per_doc`). In-process, documents are truncated to the
   * model's window instead (a warning says so). @default the server's (4096)
   */
  maxTokensPerDoc?: number;
  /**
   * An instruction for LLM rerankers (e.g. Qwen3-Reranker), sent to the server as `instruction`; a
   * server serving a cross-encoder refuses it (400). In-process it is not passed (give `instruction`
   * to the reranker's options instead), with a warning. @default none
   */
  instruction?: string;
}

export async function providerOptionsOf(
  options: RerankingModelV4CallOptions,
): Promise<RerankerProviderOptions> {
  return (
    (await parseProviderOptions({
      provider: PROVIDER,
      providerOptions: options.providerOptions,
      schema: providerOptionsSchema,
    })) ?? {}
  );
}

/** Warnings for options a cross-encoder cannot honour; `local` adds those only the server supports. */
export function warningsFor(options: RerankerProviderOptions, local: boolean): SharedV4Warning[] {
  const warnings: SharedV4Warning[] = [];
  if (local && options.instruction !== undefined) {
    warnings.push({
      type: 'unsupported',
      feature: 'instruction',
      details: 'In-process, give the instruction to the reranker (createReranker({ instruction })).',
    });
  }
  if (local && options.maxTokensPerDoc !== undefined) {
    warnings.push({
      type: 'unsupported',
      feature: 'maxTokensPerDoc',
      details: 'In-process reranking truncates documents to the model window instead of chunking them.',
    });
  }
  return warnings;
}

/**
 * The text each document is ranked on, as the server's Cohere routes choose it: a string itself; an
 * object its `rankFields` as `field: value` lines (own string fields only), or else its `text`.
 */
export function documentTexts(
  documents: RerankingModelV4CallOptions['documents'],
  rankFields: string[] | undefined,
): string[] {
  if (documents.type === 'text') return documents.values;
  return documents.values.map((doc, i) => objectText(doc, i, rankFields));
}

function objectText(doc: JSONObject, i: number, rankFields: string[] | undefined): string {
  if (rankFields) {
    const lines = rankFields.flatMap((field) => {
      const value = ownString(doc, field);
      return value === undefined ? [] : [`${field}: ${value}`];
    });
    if (lines.length > 0) return lines.join('\n');
    throw new InvalidArgumentError({
      argument: 'documents',
      message: `documents[${i}] has none of the rankFields ${rankFields.join(', ')} as a string field.`,
    });
  }
  const text = ownString(doc, 'text');
  if (text !== undefined) return text;
  throw new InvalidArgumentError({
    argument: 'documents',
    message: `documents[${i}] is an object without a string "text": add one, or name the fields to rank on in providerOptions.reranker.rankFields.`,
  });
}

function ownString(doc: JSONObject, field: string): string | undefined {
  const value = Object.hasOwn(doc, field) ? doc[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}
