import { errorMessage, type Logger, RerankerError } from '@reranker/core';

/** `ok` while calls go through; `degraded` while the circuit is open and the server runs on its own. */
export type DistributedHealth = 'ok' | 'degraded';

export interface CircuitBreakerOptions {
  /** What the breaker protects, for logs and errors, e.g. `redis`. */
  name: string;
  /** Where opening and closing are reported (once each). */
  logger: Logger;
  /** Consecutive failures (timeouts included) that open the circuit. @default 3 */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call may try again. @default 5000 */
  cooldownMs?: number;
}

/**
 * Fails fast while a dependency is down or slow, so requests neither fail nor queue behind it:
 * after `failureThreshold` consecutive failures every call is refused at once for `cooldownMs`; then a
 * single probe goes through, and its success closes the circuit (its failure restarts the cool-down).
 */
export class CircuitBreaker {
  readonly #name: string;
  readonly #logger: Logger;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  #failures = 0;
  #openedAt: number | undefined;
  #probing = false;

  constructor(options: CircuitBreakerOptions) {
    this.#name = options.name;
    this.#logger = options.logger;
    this.#threshold = positive('failureThreshold', options.failureThreshold ?? 3);
    this.#cooldownMs = positive('cooldownMs', options.cooldownMs ?? 5000);
  }

  status(): DistributedHealth {
    return this.#openedAt === undefined ? 'ok' : 'degraded';
  }

  /** Runs `operation` unless the circuit is open; its failures count towards opening it. */
  async run<T>(operation: () => Promise<T>): Promise<T> {
    const probe = this.#admit();
    try {
      const value = await operation();
      this.#succeeded();
      return value;
    } catch (error) {
      this.#failed(error, probe);
      throw error;
    }
  }

  /** Whether this call is the half-open probe; throws when the circuit refuses it. */
  #admit(): boolean {
    if (this.#openedAt === undefined) return false;
    if (!this.#probing && Date.now() - this.#openedAt >= this.#cooldownMs) {
      this.#probing = true;
      return true;
    }
    throw new RerankerError(
      'BACKEND_UNAVAILABLE',
      `${this.#name} is unreachable or slow, so this server runs in local mode; it retries by itself ` +
        `every ${this.#cooldownMs} ms. Check that ${this.#name} is up and reachable.`,
    );
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#probing = false;
    if (this.#openedAt === undefined) return;
    this.#openedAt = undefined;
    this.#logger.info({ dependency: this.#name }, `${this.#name} is back; distributed mode re-attached`);
  }

  #failed(error: unknown, probe: boolean): void {
    if (probe) {
      // Still down: wait another cool-down before the next probe.
      this.#probing = false;
      this.#openedAt = Date.now();
      return;
    }
    if (this.#openedAt !== undefined) return;
    this.#failures += 1;
    if (this.#failures < this.#threshold) return;
    this.#openedAt = Date.now();
    this.#logger.warn(
      { dependency: this.#name, failures: this.#failures, error: errorMessage(error) },
      `${this.#name} failed ${this.#failures} times in a row; running in local mode until it answers again`,
    );
  }
}

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `Circuit breaker ${field} must be a number above 0, got ${String(value)}.`,
      { details: { field, value } },
    );
  }
  return value;
}
