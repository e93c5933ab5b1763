import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BackendCandidate, PairEncoder, pairKeys } from '@reranker/core';
import { createReranker, onnxNodeBackend } from '@reranker/node';
import type { PresetName } from '@reranker/testkit';
import * as ort from 'onnxruntime-node';
import { engineModelDir } from './engine-model';
import { median } from './stats';
import { buildWorkload, rawBatches, sessionFeeds } from './workload';

export interface BreakdownOptions {
  preset: PresetName;
  docs: number;
  requests: number;
  batchSize: number;
  pairTokens: number;
  /** Idle pause between the engine and the raw parts, so neither pays for the other's spinning threads. @default 300 */
  settleMs: number;
}

/** Median milliseconds per request of each stage, and what they add up to. */
export interface BreakdownResult {
  engine: {
    requestMs: number;
    beforeFirstBatchMs: number;
    betweenBatchesMs: number;
    afterLastBatchMs: number;
    backendRunMs: number;
  };
  raw: { requestMs: number; sessionRunMs: number };
  mainThread: { tokenizeMs: number; sha256KeysMs: number; padMs: number };
  batchesPerRequest: number;
}

interface Span {
  start: number;
  end: number;
}

/** Wraps a backend so every `run` is timed from the call (batch already padded) to its logits. */
function timed(candidate: BackendCandidate, spans: Span[]): BackendCandidate {
  return {
    name: candidate.name,
    load: async (options) => {
      const backend = await candidate.load(options);
      return {
        ...backend,
        run: async (batch, runOptions) => {
          const span = { start: performance.now(), end: 0 };
          try {
            return await backend.run(batch, runOptions);
          } finally {
            span.end = performance.now();
            spans.push(span);
          }
        },
      };
    },
  };
}

/**
 * Where the engine's time goes in one request, beside raw `InferenceSession.run`: a timeline of the
 * backend's batches inside each engine request, and the main-thread stages timed on their own.
 */
export async function runBreakdown(o: BreakdownOptions): Promise<BreakdownResult> {
  const dir = await engineModelDir(o.preset);
  const workload = await buildWorkload(dir, o.docs, o.pairTokens);
  const spans: Span[] = [];
  const reranker = await createReranker({
    model: dir,
    env: {},
    cacheEnabled: false,
    batchSize: o.batchSize,
    progress: 'none',
    backends: [timed(onnxNodeBackend(), spans)],
  });
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'), {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  const readJson = async (name: string) => JSON.parse(await readFile(join(dir, name), 'utf8')) as unknown;
  const encoder = PairEncoder.fromJson(
    await readJson('tokenizer.json'),
    await readJson('tokenizer_config.json'),
    {
      maxLength: 512,
    },
  );
  const keyContext = {
    modelId: dir,
    revision: 'local',
    // Any fixed value: the timing of the hash does not depend on it.
    fingerprint: '0'.repeat(64),
    dtype: 'fp32',
    maxLength: 512,
    truncation: 'only_second',
    maxQueryTokens: 64,
  };
  const feeds = rawBatches(workload, o.batchSize).map((b) => sessionFeeds(session, b));
  const m = {
    request: [] as number[],
    before: [] as number[],
    between: [] as number[],
    after: [] as number[],
    run: [] as number[],
  };
  const r = { request: [] as number[], run: [] as number[] };
  const main = { tokenize: [] as number[], keys: [] as number[], pad: [] as number[] };
  try {
    await reranker.warmup();
    for (let i = 0; i < o.requests + 1; i++) {
      const warm = i === 0; // the first round of each warms caches and JIT
      spans.length = 0;
      const start = performance.now();
      await reranker.rerank(workload.query, workload.documents, { useCache: false });
      const end = performance.now();
      await sleep(o.settleMs);
      const rawStart = performance.now();
      for (const feed of feeds) {
        const runStart = performance.now();
        await session.run(feed);
        if (!warm) r.run.push(performance.now() - runStart);
      }
      const rawMs = performance.now() - rawStart;
      await sleep(o.settleMs);
      const t0 = performance.now();
      const query = encoder.prepareQuery(workload.query);
      for (const doc of workload.documents) encoder.encodePair(query, doc);
      const t1 = performance.now();
      await pairKeys(keyContext, workload.query, workload.documents);
      const t2 = performance.now();
      rawBatches(workload, o.batchSize);
      const t3 = performance.now();
      if (warm) continue;
      m.request.push(end - start);
      m.before.push(spans[0]!.start - start);
      m.after.push(end - spans.at(-1)!.end);
      spans.forEach((s, k) => {
        m.run.push(s.end - s.start);
        if (k > 0) m.between.push(s.start - spans[k - 1]!.end);
      });
      r.request.push(rawMs);
      main.tokenize.push(t1 - t0);
      main.keys.push(t2 - t1);
      main.pad.push(t3 - t2);
    }
  } finally {
    await reranker.dispose();
    await session.release();
  }
  return {
    engine: {
      requestMs: median(m.request),
      beforeFirstBatchMs: median(m.before),
      betweenBatchesMs: m.between.length > 0 ? median(m.between) : 0,
      afterLastBatchMs: median(m.after),
      backendRunMs: median(m.run),
    },
    raw: { requestMs: median(r.request), sessionRunMs: median(r.run) },
    mainThread: {
      tokenizeMs: median(main.tokenize),
      sha256KeysMs: median(main.keys),
      padMs: median(main.pad),
    },
    batchesPerRequest: feeds.length,
  };
}
