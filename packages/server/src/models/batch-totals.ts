import { MetricsRecorder, type MetricsSnapshot, type UnifiedReRanker } from '@reranker/core';

/** Batches run and their rows and padded tokens. */
export interface BatchTotals {
  batches: number;
  rows: number;
  tokens: number;
}

export const NO_BATCHES: BatchTotals = { batches: 0, rows: 0, tokens: 0 };

/** An engine's exact batch totals, from its snapshot. */
export function engineBatches(reranker: UnifiedReRanker): BatchTotals {
  const m = reranker.stats().metrics;
  return { batches: m.batches, rows: m.batch_rows, tokens: m.batch_tokens };
}

export function addBatches(a: BatchTotals, b: BatchTotals): BatchTotals {
  return { batches: a.batches + b.batches, rows: a.rows + b.rows, tokens: a.tokens + b.tokens };
}

/**
 * The request metrics the server records per request (several models: per model and over all), with
 * the batch figures read from the engines when a snapshot is taken: batches are the engines' to count
 * (a request's pairs share batches with other requests'), and the server sees no batch.
 */
export class ServedMetrics extends MetricsRecorder {
  constructor(private readonly batches: () => BatchTotals) {
    super();
  }

  override snapshot(): MetricsSnapshot {
    const { batches, rows, tokens } = this.batches();
    const average = (total: number) => (batches === 0 ? 0 : Math.round((total / batches) * 1000) / 1000);
    return {
      ...super.snapshot(),
      batches,
      batch_rows: rows,
      batch_tokens: tokens,
      avg_rows_per_batch: average(rows),
      avg_tokens_per_batch: average(tokens),
    };
  }
}
