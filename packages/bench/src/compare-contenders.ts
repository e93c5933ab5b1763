import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env } from '@huggingface/transformers';
import { type BatchLimits, RerankerError, type RerankerInfo } from '@reranker/core';
import { createReranker } from '@reranker/node';
import { createApp, serverConfig } from '@reranker/server';
import * as ort from 'onnxruntime-node';
import { lengthSortedBatches, type MixedRequest, type MixedWorkload } from './compare-workload';
import { sessionFeeds } from './workload';

/** One way of scoring the compare workload's requests. */
export interface CompareContender {
  readonly name: string;
  /** What it runs on, for the report. */
  readonly setup: string;
  /** Requests in flight at once (1: one after another). */
  readonly concurrency: number;
  /** Scores one request; resolves when its scores are back. */
  score(request: MixedRequest): Promise<void>;
  /** What the contender says about itself after its timed run (e.g. the batch size `auto` chose). */
  finalNote?(): Promise<string>;
  /** Where `GET /health` answers, for contenders that are an HTTP server. */
  readonly healthUrl?: string;
  dispose(): Promise<void>;
}

const voidRun = (name: string, got: number, expected: number) =>
  new RerankerError(
    'BACKEND_FAILED',
    `${name} returned ${got} scores for ${expected} documents; the benchmark is void. Check the contender's setup.`,
  );

/**
 * (a) The model-card recipe a TypeScript user writes today: transformers.js tokenizer with `text_pair`
 * and the sequence-classification model, every document of a request in one padded batch, on the
 * main thread. Loaded offline from the synthesized folder.
 */
export async function recipeContender(modelDir: string): Promise<CompareContender> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(modelDir)}/`;
  const id = basename(modelDir);
  const tokenizer = await AutoTokenizer.from_pretrained(id);
  const model = await AutoModelForSequenceClassification.from_pretrained(id, { dtype: 'fp32' });
  return {
    name: 'recipe',
    setup:
      'transformers.js AutoTokenizer (text_pair, padding, truncation) + AutoModelForSequenceClassification, one padded batch per request, main thread, default session options',
    concurrency: 1,
    async score({ query, documents }) {
      const inputs = tokenizer(
        documents.map(() => query),
        { text_pair: documents, padding: true, truncation: true },
      );
      const { logits } = (await model(inputs)) as { logits: { dims: number[] } };
      if (logits.dims[0] !== documents.length) throw voidRun('recipe', logits.dims[0] ?? 0, documents.length);
    },
    dispose: async () => {
      await model.dispose();
    },
  };
}

/** (b) The ceiling: `InferenceSession.run` over pre-tokenized, length-sorted, pre-padded batches. */
export async function rawContender(
  modelDir: string,
  workload: MixedWorkload,
  limits: BatchLimits,
): Promise<CompareContender> {
  const threads = availableParallelism();
  const session = await ort.InferenceSession.create(join(modelDir, 'onnx', 'model.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  // Keyed by the pairs array, which a repeated request shares with the request it repeats.
  const feeds = new Map<MixedRequest['pairs'], Record<string, ort.Tensor>[]>();
  for (const request of [workload.warmup, ...workload.requests]) {
    if (feeds.has(request.pairs)) continue;
    const batches = lengthSortedBatches(request.pairs, workload.padTokenId, limits);
    feeds.set(
      request.pairs,
      batches.map((batch) => sessionFeeds(session, batch)),
    );
  }
  return {
    name: 'raw',
    setup: `InferenceSession.run on the main thread, intraOpNumThreads ${threads}, the engine's length-sorted batches (≤ ${limits.batchSize} rows, ≤ ${limits.maxBatchTokens} tokens, padding ≤ ${limits.maxPaddingRatio * 100} %), tokenized in advance`,
    concurrency: 1,
    async score(request) {
      let rows = 0;
      for (const feed of feeds.get(request.pairs)!) {
        const { logits } = await session.run(feed);
        rows += logits?.dims[0] ?? 0;
        logits?.dispose();
      }
      if (rows !== request.documents.length) throw voidRun('raw', rows, request.documents.length);
    },
    dispose: () => session.release(),
  };
}

/** ` batch 8` or ` batch auto` for a contender run with a chosen batch size, else nothing. */
const sizeTag = (batchSize: number | 'auto' | undefined) =>
  batchSize === undefined ? '' : `, batch ${batchSize}`;

/**
 * `batchSize` as the run ended with it: `auto` shows the size it chose and what its neighbour trials
 * took (counted over the contender's life: its warm-up request and timed run, not the warm-up timing).
 */
async function sizeNote(reranker: { info(): Promise<RerankerInfo> }): Promise<string> {
  const info = await reranker.info();
  const s = info.batchSizeAutoStats;
  if (!info.batchSizeAuto || !s) return `batch size ${info.batchSize}`;
  const bySize = Object.entries(s.batchesBySize)
    .map(([size, n]) => `${n}×${size}`)
    .join(' ');
  const share = s.ms > 0 ? ((100 * s.trialMs) / s.ms).toFixed(1) : '0';
  return `batch size ${info.batchSize} (auto: batches ${bySize || 'none'}; ${s.trials} trials, ${s.trialBatches} batches, ${share} % of batch ms; ${s.changes} changes under load; warm-up timing ${s.calibrationBatches} runs ${s.calibrationMs.toFixed(0)} ms, untimed)`;
}

/**
 * (c) `UnifiedReRanker` in-process with the default backend, the pair cache on or off; `batchSize` as
 * `BATCH_SIZE` would set it (unset: the default).
 */
export async function engineContender(
  modelDir: string,
  cache: boolean,
  batchSize?: number | 'auto',
): Promise<CompareContender> {
  const reranker = await createReranker({
    model: modelDir,
    env: {},
    cacheEnabled: cache,
    progress: 'none',
    ...(batchSize !== undefined && { batchSize }),
  });
  await reranker.warmup();
  const info = await reranker.info();
  const details = info.backendDetails;
  return {
    name: `${cache ? 'engine (cache on)' : 'engine (cache off)'}${sizeTag(batchSize)}`,
    setup: `createReranker({ model, env: {}, cacheEnabled: ${cache}${batchSize === undefined ? '' : `, batchSize: ${JSON.stringify(batchSize)}`} }): ${String(details.workers)} worker(s) × ${String(details.threadsPerWorker)} thread(s), defaults otherwise`,
    finalNote: () => sizeNote(reranker),
    concurrency: 1,
    async score({ query, documents }) {
      const results = await reranker.rerank(query, documents);
      if (results.length !== documents.length) throw voidRun('engine', results.length, documents.length);
    },
    dispose: () => reranker.dispose(),
  };
}

/**
 * (d) The HTTP server in this process (`createApp` + `listen(0)`, logs silenced), driven by
 * `concurrency` clients with fetch. The engine keeps its defaults but the queue holds every client,
 * so saturation shows as waiting rather than 503s.
 */
export async function serverContender(
  modelDir: string,
  concurrency: number,
  batchSize?: number | 'auto',
): Promise<CompareContender> {
  const reranker = createReranker({
    model: modelDir,
    env: {},
    progress: 'none',
    ...(batchSize !== undefined && { batchSize }),
    maxQueue: Math.max(10, concurrency * 2),
    // Throughput is measured, not load shedding: on a busy machine a request may wait long for a slot.
    queueTimeoutMs: 600_000,
  });
  const app = createApp({ reranker, config: serverConfig({ port: 0, logLevel: 'silent' }) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  await app.service.ready;
  if (app.service.phase !== 'ready') {
    server.close();
    throw new RerankerError('MODEL_LOAD_FAILED', `The server did not become ready (${app.service.phase}).`);
  }
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const details = (await (await reranker).info()).backendDetails;
  return {
    name: `server, ${concurrency} clients${sizeTag(batchSize)}`,
    finalNote: async () => sizeNote(await reranker),
    setup: `createApp + listen(0) in this process, POST /rerank from ${concurrency} concurrent fetch clients; engine defaults${batchSize === undefined ? '' : ` but BATCH_SIZE=${batchSize}`} (cache on, ${String(details.workers)} worker(s) × ${String(details.threadsPerWorker)} thread(s)), maxQueue ${Math.max(10, concurrency * 2)}, queue timeout 600 s`,
    concurrency,
    healthUrl: `${base}/health`,
    async score({ query, documents }) {
      const response = await fetch(`${base}/rerank`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, documents, return_documents: false }),
      });
      if (!response.ok) {
        throw new RerankerError(
          'BACKEND_FAILED',
          `POST /rerank answered ${response.status}: ${await response.text()}; the benchmark is void.`,
        );
      }
      const body = (await response.json()) as { results: unknown[] };
      if (body.results.length !== documents.length)
        throw voidRun('server', body.results.length, documents.length);
    },
    async dispose() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await (await reranker).dispose();
    },
  };
}
