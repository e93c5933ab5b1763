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

export const emptyStats = (chosen: number): BatchSizerStats => ({
  chosen,
  batchesBySize: {},
  batches: 0,
  ms: 0,
  trials: 0,
  trialBatches: 0,
  trialMs: 0,
  changes: 0,
  calibrationBatches: 0,
  calibrationMs: 0,
});

/** Counts one batch run under load; `onTrial` when it was planned at a size other than the chosen one. */
export function countBatch(stats: BatchSizerStats, size: number, ms: number, onTrial: boolean): void {
  stats.batches++;
  stats.ms += ms;
  stats.batchesBySize[size] = (stats.batchesBySize[size] ?? 0) + 1;
  if (onTrial) {
    stats.trialBatches++;
    stats.trialMs += ms;
  }
}
