import { isRerankerError, type RerankerErrorCode } from '@reranker/core';
import type { Response } from 'express';
import { ZodError } from 'zod';

/** Which API's error body a client expects. */
export type Flavour = 'native' | 'tei' | 'cohere';

/** The flavour of errors outside the rerank routes (404, ops): Cohere under `/v1` and `/v2`, else native. */
export function flavourOfPath(path: string): Flavour {
  return /^\/v[12]\//.test(path) ? 'cohere' : 'native';
}

/** Codes the HTTP layer adds to the engine's `RerankerError` codes. */
export type HttpErrorCode =
  | 'INVALID_JSON'
  | 'INVALID_INPUT'
  | 'NESTING_TOO_DEEP'
  | 'INVALID_ENCODING'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'MALFORMED_REQUEST'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'TOO_MANY_DOCUMENTS'
  | 'INPUT_TOO_LONG'
  | 'EMPTY'
  | 'MODEL_NOT_FOUND'
  | 'OVER_MEMORY_BUDGET'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'LOADING'
  | 'UNHEALTHY'
  | 'SHUTTING_DOWN';

export type ErrorCode = HttpErrorCode | RerankerErrorCode | 'INTERNAL';

/** An error the HTTP layer raises itself, with its status already decided. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly extra: { field?: string; retryAfter?: number } = {},
  ) {
    super(message);
  }
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  code: ErrorCode;
}

type TeiErrorType =
  | 'Validation'
  | 'Tokenizer'
  | 'Backend'
  | 'Overloaded'
  | 'Unhealthy'
  | 'Empty'
  | 'Unauthorized';

interface Classified {
  /** Status per flavour: native, tei, cohere. */
  status: Record<Flavour, number>;
  code: ErrorCode;
  message: string;
  field?: string;
  retryAfter?: number;
  teiType: TeiErrorType;
}

const all = (status: number): Record<Flavour, number> => ({ native: status, tei: status, cohere: status });

/** Bad-input statuses: FastAPI's 422 for native (the original), Cohere's 400, TEI's 422. */
const BAD_INPUT = { native: 422, tei: 422, cohere: 400 };

/**
 * The one place an error becomes an HTTP status and body: `RerankerError` codes, `HttpError`s,
 * zod issues and express's own client errors, in the error shape of each API flavour:
 * native `{ error: { code, message, field? }, detail }`, TEI `{ error, error_type }`,
 * Cohere/Jina `{ message, code, field? }`. Unknown errors become a 500 without details.
 */
export function toErrorResponse(error: unknown, flavour: Flavour): ErrorResponse {
  const c = classify(error);
  const status = c.status[flavour];
  const headers: Record<string, string> = {};
  if (c.retryAfter !== undefined) headers['retry-after'] = String(c.retryAfter);
  const field = c.field === undefined ? {} : { field: c.field };
  const body =
    flavour === 'tei'
      ? { error: c.message, error_type: c.teiType }
      : flavour === 'cohere'
        ? { message: c.message, code: c.code, ...field }
        : { error: { code: c.code, message: c.message, ...field }, detail: c.message };
  return { status, headers, body, code: c.code };
}

/** Sends `error` in `flavour`'s shape unless the client is gone or a response already started. */
export function sendError(res: Response, error: unknown, flavour: Flavour): ErrorResponse {
  const response = toErrorResponse(error, flavour);
  res.locals.errorCode = response.code;
  if (res.headersSent || res.destroyed) return response;
  res.status(response.status).set(response.headers).json(response.body);
  return response;
}

function classify(error: unknown): Classified {
  if (error instanceof HttpError) return fromHttpError(error);
  if (error instanceof ZodError) return fromZod(error);
  if (isRerankerError(error)) {
    const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
    switch (error.code) {
      case 'INVALID_INPUT':
        return { status: BAD_INPUT, code: error.code, message: error.message, field, teiType: 'Validation' };
      case 'QUEUE_FULL':
      case 'QUEUE_TIMEOUT':
      case 'RATE_LIMITED': {
        // Cluster limits say when to come back (the next rate window); local overload says 1 s.
        const after = error.details?.retryAfterSeconds;
        return {
          status: all(503),
          code: error.code,
          message: error.message,
          retryAfter: typeof after === 'number' && after >= 1 ? Math.ceil(after) : 1,
          teiType: 'Overloaded',
        };
      }
      case 'TIMEOUT':
        return { status: all(504), code: error.code, message: error.message, teiType: 'Backend' };
      case 'ABORTED':
        // Nobody reads it: the client left. 499 is nginx's "client closed request", for logs.
        return { status: all(499), code: error.code, message: error.message, teiType: 'Backend' };
      case 'DISPOSED':
        return {
          status: all(503),
          code: error.code,
          message: error.message,
          retryAfter: 1,
          teiType: 'Unhealthy',
        };
      default:
        return {
          status: { ...all(500), tei: 424 },
          code: error.code,
          message: error.message,
          teiType: 'Backend',
        };
    }
  }
  const client = clientHttpError(error);
  if (client) return client;
  return { status: all(500), code: 'INTERNAL', message: 'Internal server error.', teiType: 'Backend' };
}

function fromHttpError(error: HttpError): Classified {
  const base = { code: error.code, message: error.message, ...error.extra };
  switch (error.code) {
    case 'TOO_MANY_DOCUMENTS':
      return { ...base, status: { native: 413, cohere: 413, tei: 422 }, teiType: 'Validation' };
    case 'INPUT_TOO_LONG':
      return { ...base, status: { native: 413, cohere: 400, tei: 413 }, teiType: 'Validation' };
    case 'INVALID_INPUT':
    case 'NESTING_TOO_DEEP':
      return { ...base, status: BAD_INPUT, teiType: 'Validation' };
    case 'EMPTY':
      return { ...base, status: all(400), teiType: 'Empty' };
    case 'LOADING':
    case 'UNHEALTHY':
    case 'SHUTTING_DOWN':
      return { ...base, status: all(error.status), teiType: 'Unhealthy' };
    case 'UNAUTHORIZED':
      return { ...base, status: all(401), teiType: 'Unauthorized' };
    case 'OVER_MEMORY_BUDGET':
      return { ...base, status: all(503), teiType: 'Overloaded' };
    default:
      return { ...base, status: all(error.status), teiType: 'Validation' };
  }
}

function fromZod(error: ZodError): Classified {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? formatPath(issue.path) : undefined;
  const message = issue
    ? `${field ?? 'body'}: ${issue.message}${error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problems)` : ''}.`
    : 'The request body is not valid.';
  return { status: BAD_INPUT, code: 'INVALID_INPUT', message, field, teiType: 'Validation' };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key),
    '',
  );
}

/** express's own client errors (http-errors with a 4xx `status`, e.g. a malformed URL). */
function clientHttpError(error: unknown): Classified | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, expose } = error as { status?: unknown; expose?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500 || expose !== true) return undefined;
  return {
    status: all(status),
    code: 'MALFORMED_REQUEST',
    message: `The request could not be read: ${(error as Error).message}.`,
    teiType: 'Validation',
  };
}
