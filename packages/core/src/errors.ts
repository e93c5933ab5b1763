/** Every way a rerank can fail, as a stable machine-readable code. */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'INVALID_CONFIG',
  'QUEUE_FULL',
  'QUEUE_TIMEOUT',
  'RATE_LIMITED',
  'TIMEOUT',
  'ABORTED',
  'MODEL_LOAD_FAILED',
  'BACKEND_UNAVAILABLE',
  'BACKEND_FAILED',
  'DISPOSED',
] as const;

export type RerankerErrorCode = (typeof ERROR_CODES)[number];

export interface RerankerErrorOptions {
  cause?: unknown;
  /** Structured facts for logs and HTTP bodies (the bad field, the failures of each backend, ...). */
  details?: Record<string, unknown>;
}

/** The one error class of the library: `code` says what happened, the message says what to do. */
export class RerankerError extends Error {
  override readonly name = 'RerankerError';
  readonly code: RerankerErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: RerankerErrorCode, message: string, options: RerankerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /** Transient failures worth retrying: a backend run that failed for reasons other than its input. */
  get retryable(): boolean {
    return this.code === 'BACKEND_FAILED';
  }
}

export function isRerankerError(error: unknown, code?: RerankerErrorCode): error is RerankerError {
  return error instanceof RerankerError && (code === undefined || error.code === code);
}

/** The message of any thrown value, for aggregated errors and logs. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
