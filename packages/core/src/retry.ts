import { sleep, throwIfAborted } from './abort';
import { errorMessage, RerankerError } from './errors';
import type { Logger } from './logger';

export interface RetryPolicy {
  /** Extra attempts after the first, for transient failures only. */
  maxRetries: number;
  /** First backoff; doubles per attempt, with jitter. */
  backoffMs: number;
}

/**
 * Runs `attempt` until it succeeds, retrying only transient failures (`BACKEND_FAILED`) with
 * exponential backoff. Input errors, aborts and timeouts are never retried.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  context: { signal?: AbortSignal; logger: Logger; what: string },
): Promise<T> {
  for (let tries = 0; ; tries++) {
    throwIfAborted(context.signal);
    try {
      return await attempt();
    } catch (error) {
      const transient = error instanceof RerankerError && error.retryable;
      if (!transient || context.signal?.aborted) throw error;
      if (tries >= policy.maxRetries) {
        throw new RerankerError(
          'BACKEND_FAILED',
          `${context.what} failed after ${tries + 1} attempt(s): ${errorMessage(error)}`,
          { cause: error, details: { attempts: tries + 1 } },
        );
      }
      const delay = policy.backoffMs * 2 ** tries * (0.75 + Math.random() * 0.5);
      context.logger.warn(
        { err: errorMessage(error), attempt: tries + 1, delayMs: Math.round(delay) },
        `${context.what} failed; retrying`,
      );
      await sleep(delay, context.signal);
    }
  }
}
