import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dtype, silentLogger, type UnifiedReRanker } from '@reranker/core';
import { createReranker, openLocalModel } from '@reranker/node';
import { type PresetName, synthesizedModelDir } from '@reranker/testkit';
import { measureCpu } from './cpu';
import { type MachineInfo, machineInfo } from './machine';
import { type PeakRss, startPeakRss } from './peak-rss';
import { percentile } from './stats';
import type { TableRow } from './table-measure';
import { buildTableWorkload } from './table-workload';

export interface CheckpointsOptions {
  /** Presets, synthesized as safetensors-only folders (random weights). */
  presets: PresetName[];
  /** Each made at load from the safetensors. @default ['fp32', 'q8'] */
  dtypes: Dtype[];
  /** @default 8 */
  batchSize: number;
  /** Documents per request. @default 16 */
  docs: number;
  /** Timed requests per dtype (after one untimed warm-up request). @default 2 */
  requests: number;
  /** @default 1 */
  seed: number;
  /** Long-input mode: pairs of this many tokens (also the engine's maxLength) instead of the table rows. */
  longTokens?: number;
  /** Long-input mode: one request per entry, of this many pairs. @default [1, 16] */
  longPairs: number[];
  /** Where presets are synthesized. @default `<tmpdir>/reranker-bench-checkpoints` */
  root?: string;
}

/** A table row of one dtype, with how long the model took to load and the peak memory of its stretch. */
export interface CheckpointRow extends TableRow {
  dtype: Dtype;
  /** createReranker with an empty graph cache: hashing, building the graph, loading the session. */
  buildLoadSeconds?: number;
  /** createReranker again: the graph comes from the cache. */
  cachedLoadSeconds?: number;
  /** Peak while the graph was built and the first engine loaded. */
  buildPeakRss?: PeakRss;
  /** Peak while the cached graph loaded and the requests ran. */
  peakRss?: PeakRss;
  /** docs/s over the fp32 row of the same model in this run. */
  speedVsFp32?: number;
}

export interface LongRow {
  model: string;
  dtype: Dtype;
  pairs: number;
  tokensPerPair: number;
  /** Model runs and rows per run, from the engine's counters. */
  batches: number;
  seconds: number;
  peakRss: PeakRss;
}

export interface CheckpointsResult {
  benchmark: 'checkpoints';
  startedAt: string;
  commandLine?: string;
  machine: MachineInfo;
  options: CheckpointsOptions;
  rows: CheckpointRow[];
  long: LongRow[];
  durationSeconds: number;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/** Every dtype of every preset, loaded from safetensors only (graph built, then cached), then timed. */
export async function runCheckpoints(
  o: CheckpointsOptions,
  log: (line: string) => void,
): Promise<CheckpointsResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const root = o.root ?? join(tmpdir(), 'reranker-bench-checkpoints');
  const rows: CheckpointRow[] = [];
  const long: LongRow[] = [];
  for (const preset of o.presets) {
    log(`${preset}: synthesizing or reusing a safetensors-only folder (RANDOM weights) under ${root}`);
    const dir = await synthesizedModelDir(preset, { root, layout: { onnx: 'none' } });
    for (const dtype of o.dtypes) {
      const cacheDir = await mkdtemp(join(tmpdir(), 'reranker-bench-graphs-'));
      try {
        if (o.longTokens === undefined) rows.push(await measureDtype(preset, dir, dtype, cacheDir, o, log));
        else long.push(...(await measureLong(preset, dir, dtype, cacheDir, o, log)));
      } finally {
        await rm(cacheDir, { recursive: true, force: true });
      }
    }
  }
  for (const row of rows) {
    const fp32 = rows.find((r) => r.model === row.model && r.dtype === 'fp32');
    if (fp32?.docsPerSecond && row.docsPerSecond) row.speedVsFp32 = row.docsPerSecond / fp32.docsPerSecond;
  }
  return {
    benchmark: 'checkpoints',
    startedAt,
    machine: machineInfo(),
    options: o,
    rows,
    long,
    durationSeconds: seconds(started),
  };
}

async function open(dir: string, dtype: Dtype, cacheDir: string, extra: object): Promise<UnifiedReRanker> {
  return createReranker({
    env: {},
    model: dir,
    dtype,
    cacheDir,
    cacheEnabled: false,
    logger: silentLogger,
    progress: 'none',
    ...extra,
  });
}

async function measureDtype(
  model: string,
  dir: string,
  dtype: Dtype,
  cacheDir: string,
  o: CheckpointsOptions,
  log: (line: string) => void,
): Promise<CheckpointRow> {
  const engine = { batchSize: o.batchSize, maxBatchTokens: o.batchSize * 512 };
  const buildPeak = startPeakRss();
  let t = performance.now();
  await (await open(dir, dtype, cacheDir, engine)).dispose();
  const buildLoadSeconds = seconds(t);
  const buildPeakRss = buildPeak();
  const peak = startPeakRss();
  t = performance.now();
  const reranker = await open(dir, dtype, cacheDir, engine);
  const cachedLoadSeconds = seconds(t);
  log(
    `${model} ${dtype}: built and loaded in ${buildLoadSeconds.toFixed(1)} s, cached ${cachedLoadSeconds.toFixed(1)} s`,
  );
  try {
    const files = await openLocalModel(dir, dtype, model, { cacheDir });
    const workload = await buildTableWorkload(files, { docsPerRequest: o.docs, seed: o.seed });
    const [warm] = workload.requests;
    await reranker.rerank(warm!.query, warm!.documents);
    const latencies: number[] = [];
    const cpu = measureCpu();
    const start = performance.now();
    for (let i = 0; i < o.requests; i++) {
      const { query, documents } = workload.requests[(i + 1) % workload.requests.length]!;
      const t0 = performance.now();
      await reranker.rerank(query, documents);
      latencies.push(performance.now() - t0);
    }
    const elapsed = seconds(start);
    log(`${model} ${dtype}: ${((o.requests * o.docs) / elapsed).toFixed(1)} docs/s`);
    return {
      model,
      backend: 'cpu',
      batchSize: o.batchSize,
      status: 'measured',
      dtype,
      docsPerSecond: (o.requests * o.docs) / elapsed,
      latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95) },
      requests: o.requests,
      seconds: elapsed,
      ...cpu(),
      buildLoadSeconds,
      cachedLoadSeconds,
      buildPeakRss,
      peakRss: peak(),
    };
  } finally {
    await reranker.dispose();
  }
}

/** Requests of `longPairs[i]` pairs of `longTokens` tokens each, with engine defaults otherwise. */
async function measureLong(
  model: string,
  dir: string,
  dtype: Dtype,
  cacheDir: string,
  o: CheckpointsOptions,
  log: (line: string) => void,
): Promise<LongRow[]> {
  const tokens = o.longTokens!;
  // The engine's defaults (batch size 16, token budget 8192): what a server with RERANKER_MAX_LENGTH runs.
  // Except the request timeout: one 8192-token pair of XLM-R large takes minutes on 2 busy cores, past
  // the default 120 s (a server with long inputs must raise WORKER_TIMEOUT too).
  const reranker = await open(dir, dtype, cacheDir, {
    maxLength: tokens,
    maxBatchTokens: Math.max(8192, tokens),
    workerTimeoutMs: 6 * 3_600_000,
  });
  const out: LongRow[] = [];
  try {
    const files = await openLocalModel(dir, dtype, model, { cacheDir });
    for (const pairs of o.longPairs) {
      const workload = await buildTableWorkload(files, {
        docsPerRequest: pairs,
        distinctRequests: 1,
        pairTokens: [tokens, tokens],
        maxLength: tokens,
        seed: o.seed,
      });
      const { query, documents } = workload.requests[0]!;
      const before = reranker.stats().metrics.batches;
      const peak = startPeakRss();
      const t = performance.now();
      await reranker.rerank(query, documents);
      const row: LongRow = {
        model,
        dtype,
        pairs,
        tokensPerPair: workload.pairTokens.max,
        batches: reranker.stats().metrics.batches - before,
        seconds: seconds(t),
        peakRss: peak(),
      };
      log(
        `${model} ${dtype}: ${pairs} × ${row.tokensPerPair} tokens in ${row.seconds.toFixed(0)} s, peak ${(row.peakRss.bytes / 2 ** 30).toFixed(2)} GiB`,
      );
      out.push(row);
    }
  } finally {
    await reranker.dispose();
  }
  return out;
}
