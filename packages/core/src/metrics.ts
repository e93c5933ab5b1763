import { RerankerError } from './errors';
import { nearestRank, SlidingWindow } from './metrics/sliding-window';

export interface MetricsOptions {
  /**
   * Requests kept for averages and percentiles: the most recent ones, older ones leave the window.
   * An integer from 1 to 1,000,000 (a snapshot sorts the window). @default 1000
   */
  windowSize?: number;
}

/** One finished request, successful or not, as the engine measured it. */
export interface RequestRecord {
  ok: boolean;
  /** Milliseconds spent waiting for a slot. */
  waitMs: number;
  /** Milliseconds spent processing after the wait. */
  processMs: number;
  /** Documents in the request; counted in `documents_scored` only when `ok`. */
  documents: number;
  /** The failure's `RerankerError` code; counted in `errors_by_code` only when not `ok`. */
  errorCode?: string;
}

/**
 * Counters since the recorder was created or last reset, and timings of the recent requests.
 *
 * - Totals (`*_requests`, `documents_scored`, `cache_*`, `batches`, `batch_rows`, `batch_tokens`,
 *   `errors_by_code`) are lifetime counts, exact integers.
 * - `avg_*_time_ms` and `p*_time_ms` cover the last `window_size` requests, failed ones included,
 *   with the times the caller recorded for them. Percentiles are nearest-rank on the sorted window:
 *   pN is the smallest recorded value with at least N% of the window at or below it (always an
 *   actual value, never interpolated). An empty window gives 0 for all of them.
 * - `success_rate` is successful / total requests, and 1 when there were no requests (nothing has
 *   failed; the Python original reported 0, which reads as an outage on a fresh server).
 * - `cache_hit_rate` is hits / (hits + misses), and 0 when there were no lookups (no hits).
 * - Times are rounded to 3 decimals, as are the per-batch averages; rates are exact, in [0, 1].
 */
export interface MetricsSnapshot {
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  success_rate: number;
  avg_wait_time_ms: number;
  avg_process_time_ms: number;
  p50_wait_time_ms: number;
  p95_wait_time_ms: number;
  p99_wait_time_ms: number;
  p50_process_time_ms: number;
  p95_process_time_ms: number;
  p99_process_time_ms: number;
  documents_scored: number;
  cache_hits: number;
  cache_misses: number;
  cache_hit_rate: number;
  batches: number;
  /** Rows (pairs) in all batches; `avg_rows_per_batch` is this over `batches`, rounded. */
  batch_rows: number;
  /** Padded tokens (rows × padded width) in all batches; `avg_tokens_per_batch` is this over `batches`, rounded. */
  batch_tokens: number;
  avg_rows_per_batch: number;
  avg_tokens_per_batch: number;
  errors_by_code: Record<string, number>;
  /** Requests the averages and percentiles cover now: the recent ones, at most `windowSize`. */
  window_size: number;
  /** Seconds since the recorder was created or last reset. */
  uptime_seconds: number;
}

const MAX_WINDOW = 1_000_000;

/** Counts requests, cache lookups and batches for the `/metrics` style snapshot. */
export class MetricsRecorder {
  readonly #waits: SlidingWindow;
  readonly #processes: SlidingWindow;
  #successful = 0;
  #failed = 0;
  #documents = 0;
  #cacheHits = 0;
  #cacheMisses = 0;
  #batches = 0;
  #batchRows = 0;
  #batchTokens = 0;
  #errors = new Map<string, number>();
  #startedAt = performance.now();

  constructor(options: MetricsOptions = {}) {
    const windowSize = options.windowSize ?? 1000;
    if (
      typeof windowSize !== 'number' ||
      !Number.isInteger(windowSize) ||
      windowSize < 1 ||
      windowSize > MAX_WINDOW
    ) {
      throw new RerankerError(
        'INVALID_CONFIG',
        `windowSize must be an integer from 1 to ${MAX_WINDOW}, got ${String(windowSize)}. ` +
          'Pass the number of recent requests to keep for averages and percentiles, or leave it unset for 1000.',
        { details: { option: 'windowSize', value: windowSize } },
      );
    }
    this.#waits = new SlidingWindow(windowSize);
    this.#processes = new SlidingWindow(windowSize);
  }

  recordRequest(record: RequestRecord): void {
    checkCount('documents', record.documents);
    checkDuration('waitMs', record.waitMs);
    checkDuration('processMs', record.processMs);
    this.#waits.push(record.waitMs);
    this.#processes.push(record.processMs);
    if (record.ok) {
      this.#successful++;
      this.#documents += record.documents;
    } else {
      this.#failed++;
      // A failure without a code still shows up in the breakdown rather than vanishing from it.
      const code = record.errorCode ?? 'UNKNOWN';
      this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
    }
  }

  recordCache(hits: number, misses: number): void {
    checkCount('hits', hits);
    checkCount('misses', misses);
    this.#cacheHits += hits;
    this.#cacheMisses += misses;
  }

  /** One backend batch: its rows and its padded token count (rows × padded width). */
  recordBatch(rows: number, paddedTokens: number): void {
    checkCount('rows', rows);
    checkCount('paddedTokens', paddedTokens);
    this.#batches++;
    this.#batchRows += rows;
    this.#batchTokens += paddedTokens;
  }

  snapshot(): MetricsSnapshot {
    const total = this.#successful + this.#failed;
    const lookups = this.#cacheHits + this.#cacheMisses;
    const waits = this.#waits.sorted();
    const processes = this.#processes.sorted();
    return {
      total_requests: total,
      successful_requests: this.#successful,
      failed_requests: this.#failed,
      success_rate: total === 0 ? 1 : this.#successful / total,
      avg_wait_time_ms: round3(this.#waits.mean()),
      avg_process_time_ms: round3(this.#processes.mean()),
      p50_wait_time_ms: round3(nearestRank(waits, 50)),
      p95_wait_time_ms: round3(nearestRank(waits, 95)),
      p99_wait_time_ms: round3(nearestRank(waits, 99)),
      p50_process_time_ms: round3(nearestRank(processes, 50)),
      p95_process_time_ms: round3(nearestRank(processes, 95)),
      p99_process_time_ms: round3(nearestRank(processes, 99)),
      documents_scored: this.#documents,
      cache_hits: this.#cacheHits,
      cache_misses: this.#cacheMisses,
      cache_hit_rate: lookups === 0 ? 0 : this.#cacheHits / lookups,
      batches: this.#batches,
      batch_rows: this.#batchRows,
      batch_tokens: this.#batchTokens,
      avg_rows_per_batch: this.#batches === 0 ? 0 : round3(this.#batchRows / this.#batches),
      avg_tokens_per_batch: this.#batches === 0 ? 0 : round3(this.#batchTokens / this.#batches),
      errors_by_code: Object.fromEntries(this.#errors),
      window_size: this.#waits.size,
      uptime_seconds: round3((performance.now() - this.#startedAt) / 1000),
    };
  }

  /** Forgets everything recorded and restarts `uptime_seconds`, keeping the window size. */
  reset(): void {
    this.#waits.clear();
    this.#processes.clear();
    this.#successful = 0;
    this.#failed = 0;
    this.#documents = 0;
    this.#cacheHits = 0;
    this.#cacheMisses = 0;
    this.#batches = 0;
    this.#batchRows = 0;
    this.#batchTokens = 0;
    this.#errors = new Map();
    this.#startedAt = performance.now();
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// Bad figures would silently skew every later snapshot, so they are refused where they come in.
function checkCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RerankerError(
      'INVALID_INPUT',
      `Metrics: ${name} must be a non-negative integer, got ${String(value)}. Pass the count that was measured.`,
      { details: { field: name, value } },
    );
  }
}

function checkDuration(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RerankerError(
      'INVALID_INPUT',
      `Metrics: ${name} must be a finite number of milliseconds >= 0, got ${String(value)}. ` +
        'Pass the difference of two performance.now() readings.',
      { details: { field: name, value } },
    );
  }
}
