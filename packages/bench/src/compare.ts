import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '@reranker/core';
import type { PresetName } from '@reranker/testkit';
import {
  type CompareContender,
  engineContender,
  rawContender,
  recipeContender,
  serverContender,
} from './compare-contenders';
import { mergeRounds, type TimedPhase, timeContender } from './compare-timing';
import { buildMixedWorkload } from './compare-workload';
import type { CpuUse } from './cpu';
import { engineModelDir } from './engine-model';
import { type MachineInfo, machineInfo } from './machine';
import { privateCopy } from './model-open';
import { createProgress } from './progress';

export interface CompareOptions {
  /** Synthesized model preset (random weights; BERT layouts only). @default 'minilm-l6' */
  preset: PresetName;
  /** Requests in the workload; every contender scores all of them once. @default 16 */
  requests: number;
  /** Concurrent HTTP clients of the server contender. @default 16 */
  concurrency: number;
  /** Seed of the workload. @default 1 */
  seed: number;
  /** Also run the engine with its pair cache off. @default true */
  cacheOff: boolean;
  /** Idle pause before each timed phase (lets onnxruntime's spinning threads stop). @default 300 */
  settleMs: number;
  /**
   * A contender stops taking new requests after this many seconds, so a slow contender (or a busy
   * machine) cannot stretch the run; its figures then cover the requests it finished. @default 45
   */
  maxSeconds: number;
  /**
   * Batch sizes to compare (`auto` and fixed numbers): the engine (cache on) and the server run once
   * per size, named by it; unset runs them once with the engine's default.
   */
  batchSizes?: (number | 'auto')[];
  /** Run the recipe, raw and cache-off contenders too (off: only the engine and server rows). @default true */
  baselines: boolean;
  /**
   * Times the engine (cache on) and server contenders run, every other time in reverse order so no
   * contender always runs first or last; each row then sums its rounds. @default 1
   */
  rounds: number;
}

/** Documents per request and share of repeated requests: fixed, so runs compare. */
export const DOCS_PER_REQUEST = 20;
export const REPEAT_SHARE = 0.2;
/** The raw contender packs batches as the engine's defaults do (BATCH_SIZE, MAX_BATCH_TOKENS). */
/** The engine's default batch limits: (b) runs the batches (c) plans, without the engine around them. */
const RAW_LIMITS = { batchSize: 16, maxBatchTokens: 8192, maxPaddingRatio: 0.2 };

export interface CompareRow extends CpuUse {
  name: string;
  setup: string;
  concurrency: number;
  /** Requests finished; below the workload's count when `maxSeconds` cut the contender short. */
  requestsDone: number;
  docsPerSecond: number;
  seconds: number;
  latencyMs: { p50: number; p95: number; max: number };
  /** p99 of this process's event-loop delay during the timed run (`monitorEventLoopDelay`). */
  eventLoopP99Ms: number;
  /** p99 of `GET /health` latency sampled every 100 ms during the timed run (server only). */
  healthP99Ms?: number;
  healthSamples?: number;
  /** What the contender said after its run (the batch size in use, for the batch-size comparison). */
  note?: string;
  /** With `rounds` > 1: docs/s of each round, in the order they ran. */
  roundsDocsPerSecond?: number[];
}

export interface CompareResult {
  benchmark: 'compare';
  startedAt: string;
  machine: MachineInfo;
  options: CompareOptions;
  modelDir: string;
  workload: { requests: number; repeats: number; docsPerRequest: number; meanPairTokens: number };
  rows: CompareRow[];
  /** Contenders that threw; their rows are missing. */
  failures: { name: string; error: string }[];
  durationSeconds: number;
  loadAverage: { before: number; after: number };
}

/** The fixed mixed-length workload through recipe, raw, engine and server, in one run. */
export async function runCompare(
  options: CompareOptions,
  log: (line: string) => void,
): Promise<CompareResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg()[0]!;
  log(`synthesizing or reusing preset ${options.preset} (real architecture and cost, RANDOM weights)`);
  const modelDir = await privateCopy(await engineModelDir(options.preset), 'compare');
  try {
    return await compareIn(modelDir, options, log, { started, startedAt, loadBefore });
  } finally {
    await rm(dirname(modelDir), { recursive: true, force: true });
  }
}

async function compareIn(
  modelDir: string,
  options: CompareOptions,
  log: (line: string) => void,
  run: { started: number; startedAt: string; loadBefore: number },
): Promise<CompareResult> {
  const { started, startedAt, loadBefore } = run;
  const workload = await buildMixedWorkload(modelDir, {
    requests: options.requests,
    docsPerRequest: DOCS_PER_REQUEST,
    repeatShare: REPEAT_SHARE,
    seed: options.seed,
  });
  const repeats = workload.requests.filter((r) => r.repeatOf !== undefined).length;
  log(
    `workload: ${options.requests} requests × ${DOCS_PER_REQUEST} documents of 32–512 tokens (mean pair ${workload.meanPairTokens.toFixed(0)} tokens), ${repeats} repeats`,
  );
  type Maker = [string, () => Promise<CompareContender>];
  const baselines: Maker[] = [
    ['recipe', () => recipeContender(modelDir)],
    ['raw', () => rawContender(modelDir, workload, RAW_LIMITS)],
    ...(options.cacheOff ? [['engine (cache off)', () => engineContender(modelDir, false)] as Maker] : []),
  ];
  const sized: Maker[] = (options.batchSizes ?? [undefined]).flatMap((batchSize): Maker[] => [
    ['engine (cache on)', () => engineContender(modelDir, true, batchSize)],
    ['server', () => serverContender(modelDir, options.concurrency, batchSize)],
  ]);
  // ABBA...: a contender's position in the run (first phase, machine drifting) evens out over rounds.
  const rounds = Array.from({ length: options.rounds ?? 1 }, (_, i) =>
    i % 2 ? [...sized].reverse() : sized,
  );
  const makers = [...(options.baselines ? baselines : []), ...rounds.flat()];
  const progress = createProgress(makers.length * (options.requests + 1));
  const phases: TimedPhase[] = [];
  const failures: CompareResult['failures'] = [];
  try {
    // One contender at a time, disposed before the next, so no idle session or worker competes.
    for (const [label, make] of makers) {
      let contender: CompareContender | undefined;
      try {
        contender = await make();
        await contender.score(workload.warmup);
        progress.tick(`warm-up ${contender.name}`);
        await sleep(options.settleMs);
        const phase = await timeContender(contender, workload.requests, progress, options.maxSeconds);
        const { row } = phase;
        if (contender.finalNote) row.note = await contender.finalNote();
        phases.push(phase);
        const health = row.healthP99Ms === undefined ? '' : `, /health p99 ${row.healthP99Ms.toFixed(1)} ms`;
        progress.phaseDone(
          contender.name,
          `${row.docsPerSecond.toFixed(1)} docs/s${row.note ? ` (${row.note})` : ''}, event loop p99 ${row.eventLoopP99Ms.toFixed(1)} ms${health}, others' cpu ${row.othersShare?.toFixed(2) ?? 'n/a'}`,
        );
      } catch (error) {
        // One failing contender (e.g. a busy machine timing the server out) must not void the others.
        failures.push({ name: contender?.name ?? label, error: errorMessage(error) });
        progress.phaseDone(label, `FAILED: ${errorMessage(error)}`);
      } finally {
        await contender?.dispose();
      }
    }
  } finally {
    progress.stop();
  }
  return {
    benchmark: 'compare',
    startedAt,
    machine: machineInfo(),
    options,
    modelDir,
    workload: {
      requests: options.requests,
      repeats,
      docsPerRequest: DOCS_PER_REQUEST,
      meanPairTokens: workload.meanPairTokens,
    },
    rows: mergeRounds(phases),
    failures,
    durationSeconds: (performance.now() - started) / 1000,
    loadAverage: { before: loadBefore, after: loadavg()[0]! },
  };
}
