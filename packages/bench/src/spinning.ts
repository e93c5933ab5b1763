import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { PresetName } from '@reranker/testkit';
import * as ort from 'onnxruntime-node';
import { engineModelDir } from './engine-model';
import { median } from './stats';
import { buildWorkload, rawBatches, sessionFeeds } from './workload';

export interface SpinningOptions {
  preset: PresetName;
  batchSize: number;
  runs: number;
  pairTokens: number;
  /**
   * onnxruntime's `session.intra_op.allow_spinning` for both sessions. One setting per process: a
   * released session's threads can linger and skew the other setting. @default '1' (onnxruntime's)
   */
  allowSpinning: '1' | '0';
}

export interface SpinningResult {
  /** onnxruntime's `session.intra_op.allow_spinning` of both sessions. */
  allowSpinning: '1' | '0';
  /** Median ms of a batch run right after the same session's previous run. */
  afterSameMs: number;
  /** Median ms of a batch run right after another session's run in the same process. */
  afterOtherMs: number;
  /** Process CPU seconds over the measurement. */
  cpuSeconds: number;
}

/**
 * What onnxruntime's spinning intra-op threads cost a second session in the same process (as with
 * several engine workers, or raw and engine in `overhead`): two sessions on every core, the same
 * batch run back to back on one, then alternately on both.
 */
export async function runSpinning(o: SpinningOptions): Promise<SpinningResult> {
  const dir = await engineModelDir(o.preset);
  const workload = await buildWorkload(dir, o.batchSize, o.pairTokens);
  const batch = rawBatches(workload, o.batchSize)[0]!;
  const { allowSpinning } = o;
  const create = () =>
    ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: availableParallelism(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      extra: { session: { intra_op: { allow_spinning: allowSpinning } } },
    });
  const [a, b] = [await create(), await create()];
  const feed = sessionFeeds(a, batch);
  const time = async (s: ort.InferenceSession) => {
    const start = performance.now();
    await s.run(feed);
    return performance.now() - start;
  };
  try {
    for (let i = 0; i < 2; i++) {
      await time(a);
      await time(b);
    }
    const cpu = process.cpuUsage();
    const same: number[] = [];
    const other: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      await time(a);
      same.push(await time(a));
    }
    for (let i = 0; i < o.runs; i++) {
      await time(b);
      other.push(await time(a));
    }
    const used = process.cpuUsage(cpu);
    return {
      allowSpinning,
      afterSameMs: median(same),
      afterOtherMs: median(other),
      cpuSeconds: (used.user + used.system) / 1e6,
    };
  } finally {
    await a.release();
    await b.release();
  }
}
