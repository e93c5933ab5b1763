import { type BatchSizerStats, countBatch, emptyStats } from './auto-batch-stats';
import { RerankerError } from './errors';
import type { Logger } from './logger';

export type { BatchSizerStats } from './auto-batch-stats';

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
  /**
   * How far (as a share) the throughput of the size in use may move from the level it settled at
   * before a neighbouring size is tried. @default 0.15
   */
  drift?: number;
  /** Full batches at the size in use after which a neighbour is tried even without drift. @default 2000 */
  recheckEvery?: number;
  /** Most of all batches run under load that may run at a size on trial. @default 0.02 */
  trialShare?: number;
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

interface Window {
  tokens: number;
  ms: number;
  full: number;
  all: number;
}

const emptyWindow = (): Window => ({ tokens: 0, ms: 0, full: 0, all: 0 });

/**
 * Chooses the batch row limit for `batchSize: 'auto'`. At warm-up every candidate is timed on pairs of
 * the model's typical length and the fastest per token wins. Under load it measures the padded tokens
 * per ms of full batches (batches the row limit cut: only they say anything about the limit) in windows.
 * A neighbouring size is tried on real traffic for one window only when there is a reason (the size in
 * use drifted from its settled throughput, or `recheckEvery` passed) and only while trials stay within
 * `trialShare` of all batches; it is adopted when `margin` faster, and a trial already `margin` slower
 * at half its window stops there. Hill climbing between neighbours keeps each try cheap.
 */
export class BatchSizer {
  readonly candidates: readonly number[];
  readonly #logger: Logger;
  readonly #window: number;
  readonly #margin: number;
  readonly #drift: number;
  readonly #recheckEvery: number;
  readonly #trialShare: number;
  #index: number;
  /** Tokens per ms the size in use settled at: its first window after warm-up or after a trial. */
  #settled: number | undefined;
  /** A trial is wanted (drift or recheck) and waits for the share of batches to allow it. */
  #due = false;
  #current = emptyWindow();
  #sinceTrial = 0;
  #tryUp = true;
  /** While trying a neighbour: the index to return to and the rate to beat. */
  #trial: { from: number; rate: number } | undefined;
  readonly #stats: BatchSizerStats;

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
    this.#drift = options.drift ?? 0.15;
    this.#recheckEvery = options.recheckEvery ?? 2000;
    this.#trialShare = options.trialShare ?? 0.02;
    this.#index = nearest(candidates, options.initial);
    this.#stats = emptyStats(this.current());
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
    this.#trial = undefined;
    this.#set(winner, `warm-up timing at ${width} tokens per pair (tokens/ms ${summary})`);
    this.#current = emptyWindow();
    this.#settled = undefined;
    this.#due = false;
    this.#sinceTrial = 0;
    return this.current();
  }

  /** Feeds one finished batch; may start or end a trial and change the size in use (logged). */
  observe(batch: BatchObservation): void {
    countBatch(this.#stats, batch.size, batch.ms, batch.size !== this.chosen());
    if (batch.size !== this.current() || batch.ms <= 0) return;
    const w = this.#current;
    w.all++;
    if (batch.rows >= batch.size) {
      w.full++;
      w.tokens += batch.paddedTokens;
      w.ms += batch.ms;
    }
    if (this.#trial) this.#observeTrial(w, this.#trial.rate);
    else if (w.full >= this.#window) this.#closeWindow(w.tokens / w.ms);
  }

  #observeTrial(w: Window, toBeat: number): void {
    if (w.all - w.full > this.#window / 2) {
      // The queue no longer fills batches of the size on trial: nothing to learn, go back.
      this.#endTrial(undefined);
    } else if (w.full === Math.ceil(this.#window / 2) && w.tokens / w.ms < toBeat * (1 - this.#margin)) {
      // Already clearly slower at half its window: real traffic should not pay for the other half.
      this.#endTrial(undefined);
    } else if (w.full >= this.#window) {
      this.#endTrial(w.tokens / w.ms);
    }
  }

  #closeWindow(rate: number): void {
    this.#current = emptyWindow();
    this.#sinceTrial += this.#window;
    if (this.#settled === undefined) this.#settled = rate;
    else if (!this.#due && Math.abs(rate / this.#settled - 1) > this.#drift) {
      this.#due = true;
      this.#logger.debug?.(
        `Batch size auto: ${this.current()} runs ${rate.toFixed(1)} tokens/ms, settled at ${this.#settled.toFixed(1)}; a neighbour is due.`,
      );
    }
    if (this.#sinceTrial >= this.#recheckEvery) this.#due = true;
    if (this.#due && this.#trialAffordable()) this.#startTrial(rate);
  }

  /** Whether one more trial, run to its longest, keeps trial batches within `trialShare` of all. */
  #trialAffordable(): boolean {
    const longest = this.#window + Math.floor(this.#window / 2) + 1;
    const { trialBatches, batches } = this.#stats;
    return trialBatches + longest <= this.#trialShare * batches;
  }

  #startTrial(rate: number): void {
    const up = this.#index + 1 < this.candidates.length;
    const down = this.#index > 0;
    if (!up && !down) {
      this.#due = false;
      return;
    }
    const step = (this.#tryUp && up) || !down ? 1 : -1;
    this.#tryUp = !this.#tryUp;
    this.#trial = { from: this.#index, rate };
    this.#stats.trials++;
    this.#logger.debug?.(
      `Batch size auto: trying ${this.candidates[this.#index + step]} beside ${this.current()}.`,
    );
    this.#index += step;
  }

  #endTrial(rate: number | undefined): void {
    const trial = this.#trial!;
    this.#trial = undefined;
    this.#current = emptyWindow();
    this.#due = false;
    this.#sinceTrial = 0;
    // The level to hold the size in use to is measured afresh: the trial may have been due to drift.
    this.#settled = undefined;
    const tried = this.#index;
    this.#index = trial.from;
    if (rate !== undefined && rate > trial.rate * (1 + this.#margin)) {
      this.#stats.changes++;
      this.#set(
        tried,
        `under load it ran ${rate.toFixed(1)} tokens/ms against ${trial.rate.toFixed(1)} for ${this.current()}`,
      );
      this.#settled = rate;
    }
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
