import { describe, expect, it } from 'vitest';
import { BatchSizer } from '../src/auto-batch';
import type { BackendCandidate } from '../src/index';
import { labelCount, RerankerError, UnifiedReRanker } from '../src/index';
import { costs, load, setup } from './auto-batch-helpers';
import { localModel, recordingLogger } from './helpers';

describe('BatchSizer (batchSize: auto)', () => {
  it('warm-up picks the candidate fastest per token and logs it', async () => {
    const { sizer, infos, calibrate } = setup([4, 8, 16, 32], costs({ 4: 1, 8: 0.5, 16: 0.7, 32: 0.9 }));
    expect(await calibrate()).toBe(8);
    expect(sizer.chosen()).toBe(8);
    expect(infos.join('\n')).toMatch(/Batch size auto: 8 \(was 16\); warm-up timing/);
  });

  it('under load, moves to a size that became faster, logging each change', async () => {
    const { sizer, scheduler, state, infos, calibrate } = setup(
      [4, 8, 16, 32],
      costs({ 4: 1, 8: 0.5, 16: 0.7, 32: 0.9 }),
    );
    await calibrate();
    await load(scheduler, 400);
    expect(sizer.chosen()).toBe(8); // tries of 16 and 4 lost: it stays
    state.cost = costs({ 4: 1, 8: 0.5, 16: 0.3, 32: 0.2 });
    await load(scheduler, 2000);
    expect(sizer.chosen()).toBe(32); // 8 -> 16 -> 32, one neighbour at a time
    const changes = infos.filter((l) => /under load/.test(l));
    expect(changes[0]).toMatch(/Batch size auto: 16 \(was 8\)/);
    expect(changes[1]).toMatch(/Batch size auto: 32 \(was 16\)/);
    expect(changes).toHaveLength(2);
  });

  it('stays within its candidates however the costs point', async () => {
    const { sizer, scheduler, state, calibrate } = setup([4, 8, 16], (rows) => 1 / rows);
    await calibrate();
    expect(sizer.chosen()).toBe(16);
    state.rows.length = 0;
    await load(scheduler, 1000);
    expect(sizer.chosen()).toBe(16);
    expect(Math.max(...state.rows)).toBe(16);
    state.cost = (rows) => rows;
    await load(scheduler, 2000);
    expect(sizer.chosen()).toBe(4);
    expect(Math.min(...state.rows)).toBeGreaterThanOrEqual(4);
  });

  it('a size on trial that the queue cannot fill is given up, not kept', async () => {
    const { sizer, scheduler, state, calibrate } = setup([4, 8], costs({ 4: 0.1, 8: 1 }));
    await calibrate();
    expect(sizer.chosen()).toBe(4);
    state.rows.length = 0;
    // Requests of 6 pairs: batches of 4 fill (4 + 2); on trial, 8 never fills, so nothing says it is faster.
    for (let i = 0; i < 60; i++) await load(scheduler, 6);
    const tried = state.rows.filter((r) => r === 6).length;
    expect(tried).toBeGreaterThan(0); // 8 was tried
    expect(tried).toBeLessThan(25); // and given up after a few batches each time
    expect(sizer.chosen()).toBe(4);
  });

  it('refuses candidates that are not positive integers', () => {
    const logger = recordingLogger();
    expect(() => new BatchSizer({ candidates: [0, 8], initial: 8, logger })).toThrow(RerankerError);
    expect(() => new BatchSizer({ candidates: [], initial: 8, logger })).toThrow(/positive integers/);
  });
});

describe('UnifiedReRanker with batchSize', () => {
  /** A backend that only waits, `delayMs(rows)` per batch, and answers logits of 0 (speed is all it has). */
  function slowed(delayMs: (rows: number) => number, padded?: number[]): BackendCandidate {
    return {
      name: 'slowed',
      async load({ config }) {
        const labels = labelCount(config);
        return {
          name: 'slowed',
          device: 'cpu',
          async run(batch) {
            padded?.push(batch.rows * batch.width);
            await new Promise((r) => setTimeout(r, delayMs(batch.rows)));
            return new Float32Array(batch.rows * labels);
          },
          async dispose() {},
        };
      },
    };
  }

  it("'auto' picks the fastest candidate at warm-up and info() shows it", async () => {
    const infos: string[] = [];
    const logger = { ...recordingLogger(), info: (o: object | string) => infos.push(String(o)) };
    const reranker = await UnifiedReRanker.create({
      model: await localModel('tiny'),
      backends: [slowed((rows) => (rows === 8 ? 1 : rows * 25))],
      batchSize: 'auto',
      batchSizeCandidates: [4, 8, 16],
      logger,
    });
    try {
      expect(await reranker.info()).toMatchObject({ batchSize: 16, batchSizeAuto: true });
      await reranker.warmup();
      expect(await reranker.info()).toMatchObject({ batchSize: 8, batchSizeAuto: true });
      expect(infos.join('\n')).toMatch(/Batch size auto: 8 \(was 16\)/);
      const results = await reranker.rerank('rivers', ['a river valley', 'a mountain']);
      expect(results).toHaveLength(2);
      // One untimed run, then each of 3 candidates twice; the request is one batch planned at 8.
      expect((await reranker.info()).batchSizeAutoStats).toMatchObject({
        chosen: 8,
        calibrationBatches: 7,
        batches: 1,
        batchesBySize: { 8: 1 },
        trials: 0,
        trialBatches: 0,
      });
    } finally {
      await reranker.dispose();
    }
  });

  it("'auto' warm-up times only batches within maxBatchTokens, as real batches are", async () => {
    const padded: number[] = [];
    const reranker = await UnifiedReRanker.create({
      model: await localModel('tiny'),
      backends: [slowed((rows) => rows, padded)],
      batchSize: 'auto',
      batchSizeCandidates: [4, 8, 16],
      maxLength: 512,
      maxBatchTokens: 1024,
      logger: recordingLogger(),
    });
    try {
      await reranker.warmup();
      // Half the window (256 tokens) × 16 rows would be 4096 padded tokens: the width is cut to 64.
      expect(padded.length).toBeGreaterThan(6);
      expect(Math.max(...padded)).toBe(1024);
    } finally {
      await reranker.dispose();
    }
  });

  it('a fixed number keeps its size after warm-up, and bad values are refused', async () => {
    const reranker = await UnifiedReRanker.create({
      model: await localModel('tiny'),
      backends: [slowed(() => 0)],
      batchSize: 8,
      logger: recordingLogger(),
    });
    try {
      await reranker.warmup();
      const info = await reranker.info();
      expect(info).toMatchObject({ batchSize: 8, batchSizeAuto: false });
      expect(info.batchSizeAutoStats).toBeUndefined();
    } finally {
      await reranker.dispose();
    }
    for (const bad of [0, 2.5, 'big'] as const) {
      await expect(
        UnifiedReRanker.create({
          model: await localModel('tiny'),
          backends: [slowed(() => 0)],
          batchSize: bad as unknown as number,
        }),
      ).rejects.toThrow(/batchSize must be a positive integer or 'auto'/);
    }
    await expect(
      UnifiedReRanker.create({
        model: await localModel('tiny'),
        backends: [slowed(() => 0)],
        batchSize: 'auto',
        batchSizeCandidates: [8, -1],
      }),
    ).rejects.toThrow(/batchSizeCandidates/);
  });
});
