import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Qwen3PresetName, synthesizedQwen3Dir } from '@reranker/testkit';
import { type CpuUse, measureCpu } from './cpu';
import { type LlmDtype, naiveModelDir, prebuildEngineGraph } from './llm-models';
import { type RanReply, startVariant, type VariantProcess } from './llm-process';
import { buildLlmWorkload, type LlmRequest, type LlmWorkloadStats } from './llm-workload';
import { type MachineInfo, machineInfo } from './machine';
import { CONTENDED_SHARE } from './overhead';
import type { PeakRss } from './peak-rss';
import { createProgress, type Progress } from './progress';
import { median, percentile } from './stats';

export interface LlmOptions {
  /** A Qwen3 preset (real architecture and cost, RANDOM weights). @default 'qwen3-0.6b' */
  preset: Qwen3PresetName;
  /** @default ['fp32', 'q8'] */
  dtypes: LlmDtype[];
  /** Documents per request. @default 20 */
  docs: number;
  /** Tokens of every query. @default 30 */
  queryTokens: number;
  /** Shortest and longest document in tokens. @default [64, 256] */
  docTokens: [number, number];
  /** Rounds; each runs both variants, the first one alternating. @default 4 */
  rounds: number;
  /** Timed requests per variant and round. @default 1 */
  requests: number;
  /** Untimed requests per variant first. @default 1 */
  warmup: number;
  /** Idle pause before each timed phase (the other process's onnxruntime threads stop spinning). @default 300 */
  settleMs: number;
  /** @default 1 */
  seed: number;
  /** Rows per batch, both variants. @default the engine's (16) */
  batchSize?: number;
  /** Worker threads, both variants. @default the backend's topology */
  workers?: number;
  /** Intra-op threads per worker, both variants. @default the backend's topology */
  threadsPerWorker?: number;
  /** Where the naive exports and the engine's built graphs are kept. @default `<tmpdir>/reranker-bench-llm` */
  root?: string;
}

/** Log-odds the naive forward may differ from the engine by: float32 rounding, or int8 activations quantized over other tensors. */
export const SCORE_TOLERANCE: Record<LlmDtype, number> = { fp32: 1e-3, q8: 0.5 };

export interface LlmRound extends CpuUse {
  docsPerSecond: number;
}

export interface LlmVariant {
  name: 'engine' | 'naive';
  modelDir: string;
  /** `info().backendDetails.decoderLayout`: `prefix` for the engine, `causal-lm` for the naive forward. */
  decoderLayout: string;
  workers: number;
  threadsPerWorker: number;
  /** Median over rounds. */
  docsPerSecond: number;
  rounds: LlmRound[];
  latencyMs: { p50: number; p95: number };
  loadSeconds: number;
  loadPeakRss: PeakRss;
  /** Peak of the warm-up and the timed requests, in this variant's own process. */
  peakRss?: PeakRss;
  /** The backend's description after the run (the engine's prefix LRU counters). */
  details: Record<string, unknown>;
}

export interface LlmDtypeResult {
  dtype: LlmDtype;
  engine: LlmVariant;
  naive: LlmVariant;
  /** engine / naive, ratio of the medians. */
  ratio: number;
  roundRatios: number[];
  roundRatioMedian: number;
  /** Rounds (1-based) where other processes took more than CONTENDED_SHARE of the cores. */
  contendedRounds: number[];
  /** Every document of every request, warm-up included: |engine − naive| of the log-odds. */
  scores: {
    compared: number;
    maxAbsDiff: number;
    tolerance: number;
    agree: boolean;
    /** The first timed request, for checks against a reference. */
    sample: LlmRequest & { engine: number[]; naive: number[] };
  };
}

export interface LlmResult {
  benchmark: 'llm';
  startedAt: string;
  commandLine?: string;
  machine: MachineInfo;
  options: LlmOptions;
  modelDir: string;
  workload: LlmWorkloadStats;
  dtypes: LlmDtypeResult[];
  durationSeconds: number;
  loadAverage: { before: number; after: number };
}

const NAMES = ['engine', 'naive'] as const;

/** The engine's prefix-reuse graph vs the naive full-sequence forward, per dtype, alternating in rounds. */
export async function runLlm(o: LlmOptions, log: (line: string) => void): Promise<LlmResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg()[0]!;
  const root = o.root ?? join(tmpdir(), 'reranker-bench-llm');
  log(`${o.preset}: synthesizing or reusing (real architecture and cost, RANDOM weights)`);
  const modelDir = await synthesizedQwen3Dir(o.preset);
  const total = o.warmup + o.rounds * o.requests;
  const workload = await buildLlmWorkload(modelDir, { ...o, requests: total });
  const s = workload.stats;
  log(
    `workload: ${total} requests of ${o.docs} documents (${s.docTokens.min}–${s.docTokens.max} tokens), ${s.queryTokens}-token queries; prompt ${s.promptTokens.toFixed(0)} tokens per document, of which the shared prefix ${s.prefixTokens.toFixed(0)}`,
  );
  const progress = createProgress(o.dtypes.length * NAMES.length * total);
  const dtypes: LlmDtypeResult[] = [];
  try {
    for (const dtype of o.dtypes)
      dtypes.push(await measureDtype(dtype, modelDir, root, workload.requests, o, log, progress));
  } finally {
    progress.stop();
  }
  return {
    benchmark: 'llm',
    startedAt,
    machine: machineInfo(),
    options: o,
    modelDir,
    workload: s,
    dtypes,
    durationSeconds: (performance.now() - started) / 1000,
    loadAverage: { before: loadBefore, after: loadavg()[0]! },
  };
}

async function measureDtype(
  dtype: LlmDtype,
  modelDir: string,
  root: string,
  requests: LlmRequest[],
  o: LlmOptions,
  log: (line: string) => void,
  progress: Progress,
): Promise<LlmDtypeResult> {
  const cacheDir = join(root, 'cache');
  let t = performance.now();
  const dirs = { engine: modelDir, naive: await naiveModelDir(modelDir, dtype, root) };
  await prebuildEngineGraph(modelDir, dtype, cacheDir);
  log(`${dtype}: graphs ready in ${((performance.now() - t) / 1000).toFixed(0)} s (built once, then reused)`);
  const processes: Partial<Record<(typeof NAMES)[number], VariantProcess>> = {};
  let done = false;
  try {
    for (const name of NAMES) {
      const { batchSize, workers, threadsPerWorker } = o;
      t = performance.now();
      processes[name] = await startVariant({
        model: dirs[name],
        dtype,
        cacheDir,
        batchSize,
        workers,
        threadsPerWorker,
      });
      log(`${dtype} ${name}: loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    const p = processes as Record<(typeof NAMES)[number], VariantProcess>;
    const scores = { engine: [] as number[][], naive: [] as number[][] };
    const rounds = { engine: [] as LlmRound[], naive: [] as LlmRound[] };
    const latencies = { engine: [] as number[], naive: [] as number[] };
    const warm = requests.slice(0, o.warmup);
    for (const name of NAMES) {
      if (warm.length === 0) continue;
      scores[name].push(...(await p[name].run(warm)).scores);
      for (const _ of warm) progress.tick(`${dtype} warm-up ${name}`);
    }
    for (let round = 0; round < o.rounds; round++) {
      const batch = requests.slice(o.warmup + round * o.requests, o.warmup + (round + 1) * o.requests);
      const order = round % 2 === 0 ? NAMES : ([...NAMES].reverse() as (typeof NAMES)[number][]);
      for (const name of order) {
        const phase = `${dtype} round ${round + 1}/${o.rounds} ${name}`;
        await sleep(o.settleMs);
        const cpu = measureCpu();
        const start = performance.now();
        const ran: RanReply = await p[name].run(batch);
        const seconds = (performance.now() - start) / 1000;
        const result: LlmRound = { docsPerSecond: (o.docs * batch.length) / seconds, ...cpu(ran.cpuSeconds) };
        rounds[name].push(result);
        latencies[name].push(...ran.latencyMs);
        scores[name].push(...ran.scores);
        for (const _ of batch) progress.tick(phase);
        progress.phaseDone(
          phase,
          `${result.docsPerSecond.toFixed(2)} docs/s, others' cpu ${result.othersShare?.toFixed(2) ?? 'n/a'}`,
        );
      }
    }
    // Both ran the same requests in the same order (only who goes first alternates).
    const { engine: engineScores, naive: naiveScores } = scores;
    const diffs = engineScores.flatMap((row, r) => row.map((v, d) => Math.abs(v - naiveScores[r]![d]!)));
    const maxAbsDiff = Math.max(...diffs);
    const variants = {} as Record<(typeof NAMES)[number], LlmVariant>;
    for (const name of NAMES) {
      const { ready } = p[name];
      const closed = await p[name].close();
      variants[name] = {
        name,
        modelDir: dirs[name],
        decoderLayout: String(ready.details.decoderLayout),
        workers: Number(ready.details.workers),
        threadsPerWorker: Number(ready.details.threadsPerWorker),
        docsPerSecond: median(rounds[name].map((r) => r.docsPerSecond)),
        rounds: rounds[name],
        latencyMs: { p50: percentile(latencies[name], 50), p95: percentile(latencies[name], 95) },
        loadSeconds: ready.loadSeconds,
        loadPeakRss: ready.loadPeakRss,
        ...(closed.peakRss && { peakRss: closed.peakRss }),
        details: closed.details,
      };
    }
    done = true;
    checkLayouts(variants);
    const roundRatios = rounds.engine.map((e, i) => e.docsPerSecond / rounds.naive[i]!.docsPerSecond);
    const first = o.warmup;
    const tolerance = SCORE_TOLERANCE[dtype];
    return {
      dtype,
      ...variants,
      ratio: variants.engine.docsPerSecond / variants.naive.docsPerSecond,
      roundRatios,
      roundRatioMedian: median(roundRatios),
      contendedRounds: roundRatios.flatMap((_, i) =>
        NAMES.some((n) => (rounds[n][i]!.othersShare ?? 0) > CONTENDED_SHARE) ? [i + 1] : [],
      ),
      scores: {
        compared: diffs.length,
        maxAbsDiff,
        tolerance,
        agree: maxAbsDiff <= tolerance,
        sample: { ...requests[first]!, engine: engineScores[first]!, naive: naiveScores[first]! },
      },
    };
  } finally {
    if (!done) for (const child of Object.values(processes)) child.kill();
  }
}

/** The comparison is void unless each variant ran the graph it stands for. */
function checkLayouts(v: Record<(typeof NAMES)[number], LlmVariant>): void {
  const want = { engine: 'prefix', naive: 'causal-lm' } as const;
  for (const name of NAMES) {
    if (v[name].decoderLayout !== want[name])
      throw new Error(
        `the ${name} ran the ${v[name].decoderLayout} decoder layout, not ${want[name]}: the comparison is void`,
      );
  }
}
