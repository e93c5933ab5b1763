import { RerankerError } from './errors';
import type { Logger } from './logger';

/** Sizes `batchSize: 'auto'` chooses from by default. */
export const AUTO_BATCH_CANDIDATES: readonly number[] = Object.freeze([4, 8, 16, 32]);

export interface BatchSizerOptions {
  /** Sizes to choose from; the smallest and largest are the limits. @default AUTO_BATCH_CANDIDATES */
  candidates?: readonly number[];
  /** The size in use before `calibrate` (the candidate nearest to it). */
  initial: number;
  logger: Logger;
  /** Full batches measured per decision. @default 12 */
  window?: number;
  /** How much faster (as a share) another size must be to replace the one in use. @default 0.05 */
  margin?: number;
  /** Full batches at the size in use between two tries of a neighbouring size. @default 96 */
  exploreEvery?: number;
}

/** One batch as the scheduler ran it. */
export interface BatchObservation {
  /** The row limit the batch was planned with (observations of a size no longer in use are ignored). */
  size: number;
  rows: number;
  /** Rows × padded width. */
  paddedTokens: number;
  /** Time the backend took for it. */
  ms: number;
}

/** What `batchSize: 'auto'` did so far (`info().batchSizeAutoStats`): how much traffic its trials took. */
export interface BatchSizerStats {
  /** The size chosen (in use outside trials). */
  chosen: number;
  /** Batches run under load, by the row limit they were planned with. */
  batchesBySize: Record<number, number>;
  /** Batches run under load and the backend ms they took. */
  batches: number;
  ms: number;
  /** Neighbour trials started under load. */
  trials: number;
  /** Batches planned at a size on trial (not the chosen one), and their backend ms. */
  trialBatches: number;
  trialMs: number;
  /** Changes of the chosen size under load (warm-up not counted). */
  changes: number;
  /** Warm-up timing runs (outside any request) and their ms. */
  calibrationBatches: number;
  calibrationMs: number;
}

interface Window {
  tokens: number;
  ms: number;
  full: number;
  all: number;
}

const emptyWindow = (): Window => ({ tokens: 0, ms: 0, full: 0, all: 0 });

/**
 * Chooses the batch row limit for `batchSize: 'auto'`. At warm-up every candidate is timed on pairs of
 * the model's typical length and the fastest per token wins. Under load it keeps measuring the padded
 * tokens per ms of full batches (batches the row limit cut: only they say anything about the limit),
 * and now and then tries a neighbouring size for one window, adopting it when it is faster by `margin`.
 * Hill climbing between neighbours keeps each try cheap: a worse size runs for one window only.
 */
export class BatchSizer {
  readonly candidates: readonly number[];
  readonly #logger: Logger;
  readonly #window: number;
  readonly #margin: number;
  readonly #exploreEvery: number;
  #index: number;
  /** Tokens per ms of the size in use over its latest window. */
  #rate: number | undefined;
  #current = emptyWindow();
  #sinceTry = 0;
  #tryUp = true;
  /** While trying a neighbour: the index to return to and its rate. */
  #trial: { from: number; rate: number } | undefined;
  #stats: BatchSizerStats;

  constructor(options: BatchSizerOptions) {
    const candidates = [...new Set(options.candidates ?? AUTO_BATCH_CANDIDATES)].sort((a, b) => a - b);
    if (candidates.length === 0 || candidates.some((c) => !Number.isInteger(c) || c <= 0)) {
      throw new RerankerError(
        'INVALID_CONFIG',
        `Batch size candidates must be positive integers, got ${JSON.stringify(options.candidates)}.`,
      );
    }
    this.candidates = candidates;
    this.#logger = options.logger;
    this.#window = options.window ?? 12;
    this.#margin = options.margin ?? 0.05;
    this.#exploreEvery = options.exploreEvery ?? 96;
    this.#index = nearest(candidates, options.initial);
    this.#stats = {
      chosen: this.current(),
      batchesBySize: {},
      batches: 0,
      ms: 0,
      trials: 0,
      trialBatches: 0,
      trialMs: 0,
      changes: 0,
      calibrationBatches: 0,
      calibrationMs: 0,
    };
  }

  /** Counters of what it did (a copy). */
  stats(): BatchSizerStats {
    const s = this.#stats;
    return { ...s, chosen: this.chosen(), batchesBySize: { ...s.batchesBySize } };
  }

  /** The row limit in use (a neighbour on trial for one window, now and then). */
  current(): number {
    return this.candidates[this.#index]!;
  }

  /** The size chosen so far: the one in use, or while a neighbour is on trial, the one it returns to. */
  chosen(): number {
    return this.candidates[this.#trial?.from ?? this.#index]!;
  }

  /**
   * Times each candidate with `run(size)` (one batch of `size` pairs of `width` tokens, resolving to
   * its ms), twice in alternating order, keeps each one's faster time and adopts the fastest per token.
   */
  async calibrate(run: (size: number) => Promise<number>, width: number): Promise<number> {
    const stats = this.#stats;
    const counted = async (size: number) => {
      const ms = await run(size);
      stats.calibrationBatches++;
      stats.calibrationMs += ms;
      return ms;
    };
    await counted(this.candidates[0]!); // untimed: the first run of a session pays for allocations
    const best = new Map<number, number>();
    const order = [...this.candidates];
    for (const round of [order, [...order].reverse()]) {
      for (const size of round) {
        const rate = (size * width) / Math.max(await counted(size), 1e-6);
        best.set(size, Math.max(best.get(size) ?? 0, rate));
      }
    }
    const rates = this.candidates.map((size) => best.get(size)!);
    const winner = rates.indexOf(Math.max(...rates));
    const summary = this.candidates.map((size, i) => `${size}: ${rates[i]!.toFixed(1)}`).join(', ');
    this.#set(winner, `warm-up timing at ${width} tokens per pair (tokens/ms ${summary})`);
    this.#rate = undefined;
    this.#trial = undefined;
    return this.current();
  }

  /** Feeds one finished batch; may change the size in use (logged). */
  observe(batch: BatchObservation): void {
    const stats = this.#stats;
    stats.batches++;
    stats.ms += batch.ms;
    stats.batchesBySize[batch.size] = (stats.batchesBySize[batch.size] ?? 0) + 1;
    if (batch.size !== this.chosen()) {
      stats.trialBatches++;
      stats.trialMs += batch.ms;
    }
    if (batch.size !== this.current() || batch.ms <= 0) return;
    const w = this.#current;
    w.all++;
    if (batch.rows >= batch.size) {
      w.full++;
      w.tokens += batch.paddedTokens;
      w.ms += batch.ms;
    }
    if (this.#trial && w.all - w.full > this.#window / 2) {
      // The queue no longer fills batches of the size on trial: nothing to learn, go back.
      this.#endTrial(undefined);
      return;
    }
    if (w.full < this.#window) return;
    const rate = w.tokens / w.ms;
    this.#current = emptyWindow();
    if (this.#trial) {
      this.#endTrial(rate);
      return;
    }
    this.#rate = rate;
    this.#sinceTry += this.#window;
    if (this.#sinceTry >= this.#exploreEvery) this.#startTrial();
  }

  #startTrial(): void {
    this.#sinceTry = 0;
    const up = this.#index + 1 < this.candidates.length;
    const down = this.#index > 0;
    if (!up && !down) return;
    const step = (this.#tryUp && up) || !down ? 1 : -1;
    this.#tryUp = !this.#tryUp;
    this.#stats.trials++;
    this.#trial = { from: this.#index, rate: this.#rate! };
    this.#logger.debug?.(
      `Batch size auto: trying ${this.candidates[this.#index + step]} beside ${this.current()}.`,
    );
    this.#index += step;
  }

  #endTrial(rate: number | undefined): void {
    const trial = this.#trial!;
    this.#trial = undefined;
    this.#current = emptyWindow();
    if (rate !== undefined && rate > trial.rate * (1 + this.#margin)) {
      const tried = this.#index;
      this.#index = trial.from;
      this.#set(
        tried,
        `under load it ran ${rate.toFixed(1)} tokens/ms against ${trial.rate.toFixed(1)} for ${this.current()}`,
      );
      this.#rate = rate;
      this.#stats.changes++;
      return;
    }
    this.#index = trial.from;
  }

  #set(index: number, why: string): void {
    const before = this.current();
    this.#index = index;
    if (this.current() !== before || why.startsWith('warm-up')) {
      this.#logger.info(`Batch size auto: ${this.current()} (was ${before}); ${why}.`);
    }
  }
}

function nearest(sorted: readonly number[], value: number): number {
  let best = 0;
  sorted.forEach((c, i) => {
    if (Math.abs(c - value) < Math.abs(sorted[best]! - value)) best = i;
  });
  return best;
}
