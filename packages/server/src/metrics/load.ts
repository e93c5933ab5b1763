/** Time constant of the demand rate's exponential smoothing, in seconds (as the 1-minute load average). */
export const DEMAND_TIME_CONSTANT_S = 60;

/**
 * The load a server carries beyond the controller's request counts, for autoscaling signals:
 * documents in flight (accepted and not yet answered), an estimate of their model tokens, and the
 * smoothed rate of documents offered.
 *
 * The demand rate counts documents when their request reaches scoring, before the queue admits it, so
 * requests refused because the queue is full still count: an autoscaler must see the demand the
 * servers could not take, not only what they served. It is an exponentially weighted moving average
 * with time constant `DEMAND_TIME_CONSTANT_S`, kept in closed form (each arrival adds `n / τ`, and the
 * sum decays by `exp(-Δt / τ)`), so it needs no timer; under a steady rate r it converges to r.
 */
export class LoadTracker {
  #documents = 0;
  #rate = 0;
  #rateAt: number;
  #scoredDocuments = 0;
  #scoredTokens = 0;
  readonly #now: () => number;

  /** @param now clock in ms (tests pass a fake one). @default performance.now */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#rateAt = now();
  }

  /** A request's documents arrived: they count as in flight until `finish`. */
  begin(documents: number): void {
    if (documents <= 0) return;
    this.#documents += documents;
    this.#rate = this.demandRate() + documents / DEMAND_TIME_CONSTANT_S;
  }

  /** The request of `documents` (from `begin`) was answered; `tokens` when it was scored. */
  finish(documents: number, tokens?: number): void {
    this.#documents = Math.max(0, this.#documents - Math.max(0, documents));
    if (tokens !== undefined && documents > 0) {
      this.#scoredDocuments += documents;
      this.#scoredTokens += tokens;
    }
  }

  /** Documents of the requests waiting or computing now. */
  get inflightDocuments(): number {
    return this.#documents;
  }

  /**
   * Model tokens of the documents in flight, estimated from the mean tokens per document of the
   * requests scored so far (cached pairs cost none): the real count is only known once a request is
   * tokenized. 0 before the first scored request.
   */
  get inflightTokens(): number {
    if (this.#scoredDocuments === 0) return 0;
    return Math.round((this.#documents * this.#scoredTokens) / this.#scoredDocuments);
  }

  /** Documents offered per second, exponentially smoothed (see the class comment). */
  demandRate(): number {
    const now = this.#now();
    const elapsedS = Math.max(0, now - this.#rateAt) / 1000;
    this.#rate *= Math.exp(-elapsedS / DEMAND_TIME_CONSTANT_S);
    this.#rateAt = now;
    return this.#rate;
  }
}
