import { BatchSizer, type BatchSizerOptions } from '../src/auto-batch';
import type { TokenizedPair } from '../src/batching';
import type { Backend, EncodedBatch } from '../src/index';
import { MetricsRecorder } from '../src/index';
import { BatchScheduler } from '../src/scheduler';
import { recordingLogger } from './helpers';

/** ms per row of a batch of `rows` rows: the fake backend's cost model, changed by the tests. */
export type Cost = (rows: number) => number;

/** A backend that costs what `cost` says on a fake clock, so timings are exact and instant. */
export function costedBackend(initial: Cost) {
  const clock = { now: 0 };
  const state = { cost: initial, rows: [] as number[] };
  const backend: Backend = {
    name: 'costed',
    device: 'cpu',
    concurrency: 1,
    async run(batch: EncodedBatch) {
      state.rows.push(batch.rows);
      clock.now += batch.rows * state.cost(batch.rows);
      return new Float32Array(batch.rows);
    },
    async dispose() {},
  };
  return { backend, clock, state };
}

export const costs =
  (table: Record<number, number>): Cost =>
  (rows) =>
    table[rows] ?? 1;

/** Small windows; by default a neighbour is tried every 8 full batches with no cap on trials' share. */
export function setup(candidates: number[], cost: Cost, policy: Partial<BatchSizerOptions> = {}) {
  const logger = recordingLogger();
  const infos: string[] = [];
  logger.info = (o) => infos.push(String(o));
  logger.debug = (o) => infos.push(String(o));
  const sizer = new BatchSizer({
    candidates,
    initial: 16,
    logger,
    window: 4,
    recheckEvery: 8,
    trialShare: 1,
    ...policy,
  });
  const { backend, clock, state } = costedBackend(cost);
  const scheduler = new BatchScheduler({
    backend,
    numLabels: 1,
    padTokenId: 0,
    limits: { batchSize: 16, maxBatchTokens: 1_000_000, maxPaddingRatio: 0.2 },
    retry: { maxRetries: 0, backoffMs: 1 },
    logger,
    metrics: new MetricsRecorder(),
    microBatchWindowMs: 0,
    sizer,
    now: () => clock.now,
  });
  // Calibration as warm-up does it, on the same cost model (width 10).
  const calibrate = () =>
    sizer.calibrate(async (size) => {
      const start = clock.now;
      await backend.run({ rows: size } as EncodedBatch);
      return clock.now - start;
    }, 10);
  return { sizer, scheduler, state, infos, calibrate };
}

export const pairs = (n: number): TokenizedPair[] =>
  Array.from({ length: n }, () => ({ inputIds: Array(10).fill(5), tokenTypeIds: Array(10).fill(0) }));
export const usage = () => ({ computedPairs: 0, cachedPairs: 0, tokens: 0 });

export async function load(scheduler: BatchScheduler, n: number) {
  await Promise.all(scheduler.submit(pairs(n), { usage: usage() }));
}
