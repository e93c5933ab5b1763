import type { Flavour } from './errors';
import { choice, closed, int, json, ref, type Schema, str } from './openapi-parts';

const code = {
  ...str,
  description:
    'What went wrong, for programs: INVALID_JSON, INVALID_INPUT, UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE, TOO_MANY_DOCUMENTS, INPUT_TOO_LONG, EMPTY, MODEL_NOT_FOUND, OVER_MEMORY_BUDGET, UNAUTHORIZED, NOT_FOUND, LOADING, UNHEALTHY, SHUTTING_DOWN, QUEUE_FULL, QUEUE_TIMEOUT, RATE_LIMITED, TIMEOUT, INTERNAL, or another engine error code.',
};
const field = {
  ...str,
  description: 'The request field at fault, as a path (`documents[3]`), when there is one.',
};

/** The error bodies `toErrorResponse` (errors.ts) writes, one per API flavour. */
export const errorSchemas: Record<string, Schema> = {
  NativeError: {
    ...closed(
      {
        error: closed({ code, message: str, field }, ['code', 'message']),
        detail: { ...str, description: 'The message again (FastAPI-style, as the original service).' },
      },
      ['error', 'detail'],
    ),
    description: "The native API's error: `{ error: { code, message, field? }, detail }`.",
  },
  TeiError: {
    ...closed({
      error: str,
      error_type: choice(
        'Validation',
        'Tokenizer',
        'Backend',
        'Overloaded',
        'Unhealthy',
        'Empty',
        'Unauthorized',
      ),
    }),
    description: "Hugging Face TEI's error: `{ error, error_type }`.",
  },
  CohereError: {
    ...closed({ message: str, code, field }, ['message', 'code']),
    description: "The Cohere and Jina APIs' error: `{ message, code, field? }`.",
  },
};

const SCHEMA_OF: Record<Flavour, string> = { native: 'NativeError', tei: 'TeiError', cohere: 'CohereError' };

const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { ...int, minimum: 1 } },
};

/** One error status: the flavours of body a route can send with it, and when. */
export type ErrorStatus = [flavours: Flavour[], description: string];

/**
 * Error responses from a table of status -> [flavours, description]. A route that speaks several APIs
 * (plain /rerank) answers each in its own shape, so the body is `oneOf` those shapes (they exclude each
 * other: `error` is an object, a string, or absent). 503 carries Retry-After.
 */
export function errorResponses(table: Record<string, ErrorStatus>): Record<string, Schema> {
  return Object.fromEntries(
    Object.entries(table).map(([status, [flavours, description]]) => {
      const refs = flavours.map((flavour) => ref(SCHEMA_OF[flavour]));
      const schema = refs.length === 1 ? refs[0]! : { oneOf: refs };
      return [status, json(schema, description, status === '503' ? retryAfter : undefined)];
    }),
  );
}

/** 401 on the operations routes: only with METRICS_REQUIRE_AUTH=true and API_KEYS set. */
export const OPS_UNAUTHORIZED: Record<string, ErrorStatus> = {
  '401': [['native'], 'missing or wrong API key (only with METRICS_REQUIRE_AUTH=true and API_KEYS set)'],
};
