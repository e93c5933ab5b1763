import { APICallError, InvalidArgumentError } from '@ai-sdk/provider';
import { isRerankerError } from '@reranker/core';

/** Engine failures a later attempt may not meet: a full or slow queue, a backend run that failed. */
const TRANSIENT = new Set(['QUEUE_FULL', 'QUEUE_TIMEOUT', 'RATE_LIMITED', 'TIMEOUT', 'BACKEND_FAILED']);

/**
 * An in-process engine error as the AI SDK's own: bad input is an `InvalidArgumentError`, an abort
 * is the signal's reason (so `rerank()` stops instead of retrying), every other failure an
 * `APICallError` (url `reranker:local/<model>`) that is retryable when transient, so `rerank()`'s
 * `maxRetries` applies as it does to the server. The engine's `RerankerError` stays as `cause`.
 */
export function toSdkError(error: unknown, model: string, signal: AbortSignal | undefined, body: unknown) {
  if (!isRerankerError(error)) return error;
  if (error.code === 'ABORTED') return signal?.aborted ? signal.reason : abortError(error);
  if (error.code === 'INVALID_INPUT') {
    const field = typeof error.details?.field === 'string' ? error.details.field : 'documents';
    return new InvalidArgumentError({ argument: field, message: error.message, cause: error });
  }
  return new APICallError({
    message: `${error.code}: ${error.message}`,
    url: `reranker:local/${model}`,
    requestBodyValues: body,
    isRetryable: TRANSIENT.has(error.code),
    cause: error,
  });
}

function abortError(cause: Error): Error {
  const error = new Error(cause.message, { cause });
  error.name = 'AbortError';
  return error;
}
