/**
 * The last `capacity` values of a series in a fixed ring buffer (memory stays constant however many
 * values arrive), with the mean and nearest-rank percentiles of what it holds.
 */
export class SlidingWindow {
  readonly #values: Float64Array;
  #next = 0;
  #count = 0;

  constructor(capacity: number) {
    this.#values = new Float64Array(capacity);
  }

  /** How many values the window holds now (at most its capacity). */
  get size(): number {
    return this.#count;
  }

  /** Adds a value, evicting the oldest once the window is full. */
  push(value: number): void {
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.#values.length;
    if (this.#count < this.#values.length) this.#count++;
  }

  clear(): void {
    this.#next = 0;
    this.#count = 0;
  }

  /** Mean of the held values; 0 when empty. */
  mean(): number {
    if (this.#count === 0) return 0;
    let sum = 0;
    for (let i = 0; i < this.#count; i++) sum += this.#values[i]!;
    return sum / this.#count;
  }

  /** The held values in ascending order (a copy, for several percentiles from one sort). */
  sorted(): Float64Array {
    // Slots past #count are unused (before the window first fills), so only the prefix is live.
    return this.#values.slice(0, this.#count).sort();
  }
}

/**
 * Nearest-rank percentile of ascending `sorted` values: the smallest value with at least `percent`%
 * of the values at or below it, i.e. `sorted[ceil(percent / 100 × n) − 1]` (rank at least 1).
 * It is always one of the values, never an interpolation. 0 for an empty set.
 * `percent` is a whole number from 1 to 100 so that `percent × n / 100` is computed exactly.
 */
export function nearestRank(sorted: Float64Array, percent: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = Math.max(1, Math.ceil((percent * n) / 100));
  return sorted[rank - 1]!;
}
