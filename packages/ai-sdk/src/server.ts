import type { RerankingModelV4, RerankingModelV4CallOptions, RerankingModelV4Result } from '@ai-sdk/provider';
import {
  combineHeaders,
  createJsonErrorResponseHandler,
  createJsonResponseHandler,
  type FetchFunction,
  postJsonToApi,
  withoutTrailingSlash,
} from '@ai-sdk/provider-utils';
import { z } from 'zod';
import { PROVIDER, providerOptionsOf, warningsFor } from './options';

export interface RerankerServerOptions {
  /** The server's address, e.g. `http://127.0.0.1:8000` (its Cohere v2 route `/v2/rerank` is used). */
  baseURL: string;
  /** Sent as `Authorization: Bearer …`, for a server that sets API_KEYS. @default none */
  apiKey?: string;
  /** Name of the served model; the server answers with what it runs. @default the served model */
  model?: string;
  /** Extra headers on every request. @default none */
  headers?: Record<string, string>;
  /** A fetch implementation (proxies, tests). @default globalThis.fetch */
  fetch?: FetchFunction;
}

const responseSchema = z.object({
  id: z.string().nullish(),
  model: z.string().nullish(),
  results: z.array(z.object({ index: z.number(), relevance_score: z.number() })),
  usage: z
    .object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() })
    .nullish(),
});

// The server's Cohere-flavoured error body: { message, code, field? }.
const errorSchema = z.object({ message: z.string(), code: z.string().optional() });
const failedResponseHandler = createJsonErrorResponseHandler({
  errorSchema,
  errorToMessage: (error) => (error.code ? `${error.code}: ${error.message}` : error.message),
});

/**
 * A reranking model for the AI SDK's `rerank()` that calls a reranker-server (`POST /v2/rerank`).
 * HTTP failures are `APICallError`s, retryable on 408, 409, 429 and 5xx with the server's
 * `retry-after`, so `rerank()`'s `maxRetries` applies; aborts cancel the request.
 *
 * @example
 * const model = rerankerServer({ baseURL: 'http://127.0.0.1:8000' });
 * const { ranking } = await rerank({ model, query: 'what is a reranker?', documents, topN: 3 });
 */
export function rerankerServer(options: RerankerServerOptions): RerankingModelV4 {
  const url = `${withoutTrailingSlash(options.baseURL)}/v2/rerank`;
  const modelId = options.model ?? 'default';
  return {
    specificationVersion: 'v4',
    provider: `${PROVIDER}.server`,
    modelId,
    async doRerank(call: RerankingModelV4CallOptions): Promise<RerankingModelV4Result> {
      const providerOptions = await providerOptionsOf(call);
      const { responseHeaders, value, rawValue } = await postJsonToApi({
        url,
        headers: combineHeaders(
          options.apiKey === undefined ? {} : { authorization: `Bearer ${options.apiKey}` },
          options.headers,
          call.headers,
        ),
        body: {
          model: options.model,
          query: call.query,
          documents: call.documents.values,
          top_n: call.topN,
          rank_fields: providerOptions.rankFields,
          return_documents: providerOptions.returnDocuments,
          max_tokens_per_doc: providerOptions.maxTokensPerDoc,
          instruction: providerOptions.instruction,
        },
        failedResponseHandler,
        successfulResponseHandler: createJsonResponseHandler(responseSchema),
        abortSignal: call.abortSignal,
        fetch: options.fetch,
      });
      const usage = value.usage;
      return {
        ranking: value.results.map((r) => ({ index: r.index, relevanceScore: r.relevance_score })),
        warnings: warningsFor(providerOptions, false),
        providerMetadata: {
          [PROVIDER]: usage ? { usage: { tokens: usage.total_tokens } } : {},
        },
        response: {
          ...(value.id != null && { id: value.id }),
          ...(value.model != null && { modelId: value.model }),
          headers: responseHeaders,
          body: rawValue,
        },
      };
    },
  };
}
