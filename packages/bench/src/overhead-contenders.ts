import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { type Dtype, RerankerError } from '@reranker/core';
import { createReranker } from '@reranker/node';
import * as ort from 'onnxruntime-node';
import { rawBatches, sessionFeeds, type Workload } from './workload';

/** One way of scoring the workload's documents; `request()` scores all of them once. */
export interface Contender {
  readonly name: string;
  /** What the contender runs on (threads, workers), for the report. */
  readonly setup: string;
  request(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The ceiling: `InferenceSession.run` on the main thread over batches tokenized and padded in advance,
 * one session using every core. No tokenization, hashing, messaging or result sorting is timed.
 */
export async function rawContender(
  modelFile: string,
  workload: Workload,
  batchSize: number,
): Promise<Contender> {
  const threads = availableParallelism();
  const session = await ort.InferenceSession.create(modelFile, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    // As the engine's workers: one batch at a time, no inter-op threads competing for the cores.
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const feeds = rawBatches(workload, batchSize).map((batch) => sessionFeeds(session, batch));
  return {
    name: 'raw',
    setup: `InferenceSession.run on the main thread (${basename(modelFile)}), intraOpNumThreads ${threads}, batches of ${batchSize}`,
    async request() {
      for (const feed of feeds) {
        const { logits } = await session.run(feed);
        logits?.dispose();
      }
    },
    dispose: () => session.release(),
  };
}

/** The engine as users run it: `createReranker` with the default backend, the pair cache off. */
export async function engineContender(
  modelDir: string,
  workload: Workload,
  batchSize: number,
  topology: { workers?: number; threadsPerWorker?: number; dtype?: Dtype } = {},
): Promise<Contender> {
  const reranker = await createReranker({
    model: modelDir,
    env: {},
    cacheEnabled: false,
    batchSize,
    progress: 'none',
    ...topology,
  });
  await reranker.warmup();
  const details = (await reranker.info()).backendDetails;
  const { query, documents } = workload;
  return {
    name: 'engine',
    setup: `createReranker (${topology.dtype ?? 'fp32'}), onnxruntime-node backend: ${String(details.workers)} worker(s) × ${String(details.threadsPerWorker)} intra-op thread(s), batchSize ${batchSize}`,
    async request() {
      const results = await reranker.rerank(query, documents, { useCache: false });
      if (results.length !== documents.length) {
        throw new RerankerError(
          'BACKEND_FAILED',
          `The engine returned ${results.length} results for ${documents.length} documents; the benchmark is void.`,
        );
      }
    },
    dispose: () => reranker.dispose(),
  };
}
