import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Dtype, ONNX_FILE_BY_DTYPE } from '@reranker/core';
import type { PresetName } from '@reranker/testkit';
import { type CpuUse, measureCpu } from './cpu';
import { engineModelDir } from './engine-model';
import { type MachineInfo, machineInfo } from './machine';
import { type Contender, engineContender, rawContender } from './overhead-contenders';
import { createProgress, type Progress } from './progress';
import { median, percentile } from './stats';
import { buildWorkload } from './workload';

export interface OverheadOptions {
  /** Synthesized model preset (random weights; BERT layouts only). @default 'minilm-l6' */
  preset: PresetName;
  /** Documents per request. @default 32 */
  docs: number;
  /** Timed requests per contender in each round. @default 4 */
  requests: number;
  /** Rounds; each runs raw then engine, so machine noise hits both. @default 12 */
  rounds: number;
  /** Rows per inference batch, for both contenders. @default 16 */
  batchSize: number;
  /** Untimed requests per contender before the first round. @default 2 */
  warmup: number;
  /** Tokens of every (query, document) pair, special tokens included. @default 128 */
  pairTokens: number;
  /**
   * Idle pause before each timed phase. Both sessions live in one process, and onnxruntime's
   * intra-op threads spin after a run: the first run after the other session's is ~18% slower unless
   * its threads have gone to sleep (measured: gone after ~200 ms). @default 300
   */
  settleMs: number;
  /** Model file both contenders run: fp32 `model.onnx`, fp16 or q8 `model_quantized.onnx`. @default 'fp32' */
  dtype: Dtype;
  /** Engine worker threads. @default the backend's topology for the cores (1 on 2 cores) */
  workers?: number;
  /** Engine intra-op threads per worker. @default the backend's topology (cores / workers) */
  threadsPerWorker?: number;
}

/** Above this share of the cores used by other processes during a round, the round is contended. */
export const CONTENDED_SHARE = 0.03;

/** One contender's share of one round, and how the cores were used meanwhile. */
export interface RoundResult extends CpuUse {
  docsPerSecond: number;
}

export interface ContenderResult {
  name: string;
  setup: string;
  /** Median over rounds of documents scored per second. */
  docsPerSecond: number;
  rounds: RoundResult[];
  /** Request latency over every timed request, milliseconds. */
  latencyMs: { p50: number; p95: number; max: number };
}

export interface OverheadResult {
  benchmark: 'overhead';
  startedAt: string;
  machine: MachineInfo;
  options: OverheadOptions;
  modelDir: string;
  raw: ContenderResult;
  engine: ContenderResult;
  /** engine.docsPerSecond / raw.docsPerSecond (ratio of the medians). */
  ratio: number;
  /** engine / raw within each round, which cancels noise that lasts a round. */
  roundRatios: number[];
  /** Median of `roundRatios`: a second estimate, less sensitive to a noisy stretch of rounds. */
  roundRatioMedian: number;
  /** Rounds in which other processes used more than CONTENDED_SHARE of the cores (1-based). */
  contendedRounds: number[];
  /** Median of the ratios of the other rounds: the best estimate on a shared machine. */
  uncontendedRatioMedian: number;
  durationSeconds: number;
  /** 1-minute load average before and after the run: well above 0 before means others used the cores. */
  loadAverage: { before: number; after: number };
}

/** Engine versus raw onnxruntime on identical fixed-length pairs, alternating in rounds. */
export async function runOverhead(
  options: OverheadOptions,
  log: (line: string) => void,
): Promise<OverheadResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg()[0]!;
  log(
    `synthesizing or reusing preset ${options.preset} (real architecture and cost, RANDOM weights), dtype ${options.dtype}`,
  );
  const modelDir = await engineModelDir(options.preset);
  const workload = await buildWorkload(modelDir, options.docs, options.pairTokens);
  log(`workload: ${options.docs} documents per request, every pair exactly ${workload.pairTokens} tokens`);

  const contenders: Contender[] = [];
  try {
    contenders.push(
      await rawContender(join(modelDir, ONNX_FILE_BY_DTYPE[options.dtype]), workload, options.batchSize),
    );
    const { workers, threadsPerWorker, dtype } = options;
    contenders.push(
      await engineContender(modelDir, workload, options.batchSize, { workers, threadsPerWorker, dtype }),
    );
    const progress = createProgress(contenders.length * (options.warmup + options.rounds * options.requests));
    const rounds = new Map<string, RoundResult[]>(contenders.map((c) => [c.name, []]));
    const latencies = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    try {
      for (const c of contenders) await timeRequests(c, options.warmup, progress, `warm-up ${c.name}`);
      for (let round = 1; round <= options.rounds; round++) {
        for (const c of contenders) {
          const phase = `round ${round}/${options.rounds} ${c.name}`;
          await sleep(options.settleMs);
          const { seconds, latencyMs, ...cpu } = await timeRequests(c, options.requests, progress, phase);
          const result: RoundResult = { docsPerSecond: (options.docs * options.requests) / seconds, ...cpu };
          rounds.get(c.name)!.push(result);
          latencies.get(c.name)!.push(...latencyMs);
          progress.phaseDone(
            phase,
            `${result.docsPerSecond.toFixed(1)} docs/s, others' cpu ${others(result)}`,
          );
        }
      }
    } finally {
      progress.stop();
    }
    const [raw, engine] = contenders.map((c) => summarize(c, rounds.get(c.name)!, latencies.get(c.name)!));
    const roundRatios = engine!.rounds.map((e, i) => e.docsPerSecond / raw!.rounds[i]!.docsPerSecond);
    const contended = roundRatios.map((_, i) =>
      [raw!, engine!].some((c) => (c.rounds[i]!.othersShare ?? 0) > CONTENDED_SHARE),
    );
    return {
      benchmark: 'overhead',
      startedAt,
      machine: machineInfo(),
      options,
      modelDir,
      raw: raw!,
      engine: engine!,
      ratio: engine!.docsPerSecond / raw!.docsPerSecond,
      roundRatios,
      roundRatioMedian: median(roundRatios),
      contendedRounds: contended.flatMap((yes, i) => (yes ? [i + 1] : [])),
      uncontendedRatioMedian: median(roundRatios.filter((_, i) => !contended[i])),
      durationSeconds: (performance.now() - started) / 1000,
      loadAverage: { before: loadBefore, after: loadavg()[0]! },
    };
  } finally {
    for (const contender of contenders) await contender.dispose();
  }
}

async function timeRequests(
  contender: Contender,
  count: number,
  progress: Progress,
  phase: string,
): Promise<CpuUse & { seconds: number; latencyMs: number[] }> {
  const latencyMs: number[] = [];
  const cpu = measureCpu();
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const requestStart = performance.now();
    await contender.request();
    latencyMs.push(performance.now() - requestStart);
    progress.tick(phase);
  }
  return { seconds: (performance.now() - start) / 1000, latencyMs, ...cpu() };
}

const others = (use: CpuUse) => use.othersShare?.toFixed(2) ?? 'n/a';

function summarize(contender: Contender, rounds: RoundResult[], latencyMs: number[]): ContenderResult {
  return {
    name: contender.name,
    setup: contender.setup,
    docsPerSecond: median(rounds.map((r) => r.docsPerSecond)),
    rounds,
    latencyMs: {
      p50: percentile(latencyMs, 50),
      p95: percentile(latencyMs, 95),
      max: Math.max(...latencyMs),
    },
  };
}
