import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ONNX_FILE_BY_DTYPE } from '@reranker/core';
import { type PresetName, publishedStyleModelDir, synthesizedModelDir } from '@reranker/testkit';
import * as ort from 'onnxruntime-node';
import { type CpuUse, measureCpu } from './cpu';
import { engineModelDir } from './engine-model';
import { fixedFeeds } from './fusion-feeds';
import {
  backendSessionOptions,
  type FusionSummary,
  type OptimizedGraph,
  optimizedGraph,
  summarizeFusion,
} from './fusion-ops';
import { kernelTimes } from './fusion-profile';
import { type MachineInfo, machineInfo } from './machine';
import { CONTENDED_SHARE } from './overhead';
import { createProgress, type Progress } from './progress';
import { median, rate } from './stats';

export const FUSION_DTYPES = ['fp32', 'q8'] as const;
export type FusionDtype = (typeof FUSION_DTYPES)[number];

export interface FusionOptions {
  /** Synthesized presets (real shape, random weights). @default ['minilm-l6', 'bge-base'] */
  presets: PresetName[];
  /** @default ['fp32', 'q8'] */
  dtypes: FusionDtype[];
  /** Rows of the batch every run scores. @default 16 */
  batchSize: number;
  /** Tokens of every row. @default 128 */
  pairTokens: number;
  /**
   * Every second row ends in padding (its last quarter), so our graph takes its padded path (the
   * standard attention nodes) instead of flash attention. @default false
   */
  padded?: boolean;
  /**
   * The peer of our graph: `published`, the testkit's published-style export (torch.onnx.export form),
   * or `standard`, our builder's standard-operator graph of the same weights, which can be written
   * with external data (models past 2 GB, such as bge-m3: fp32 only). @default 'published'
   */
  versus?: 'published' | 'standard';
  /**
   * After the rounds, profile each graph over this many runs with onnxruntime's profiler (a fresh
   * session each) and report milliseconds per run by operator type. @default 0 (off)
   */
  profile?: number;
  /** Both graphs' weights in `model.onnx_data` (needed past 2 GB; `versus: 'standard'`, fp32). @default false */
  externalData?: boolean;
  /** Timed runs per contender in each round. @default 2 */
  runs: number;
  /** Rounds; each times both contenders, the first one alternating. @default 8 */
  rounds: number;
  /** Untimed runs per contender before the first round. @default 1 */
  warmup: number;
  /** Idle pause before each timed phase, so the other session's threads stop spinning. @default 300 */
  settleMs: number;
  /**
   * Intra-op threads of both sessions. 1 with `spinning` off makes this process's CPU time a measure
   * of the work alone, which other processes on a shared machine barely disturb.
   * @default os.availableParallelism(), as the backend on a machine of this many cores
   */
  threads?: number;
  /** onnxruntime's intra-op thread spinning, as the backend's `allowSpinning`. @default true */
  spinning?: boolean;
}

export interface FusionContender {
  name: 'ours' | 'published-style' | 'standard';
  modelFile: string;
  fusion: FusionSummary;
  /** How the q8 graph stores its int8 weights (`int8` where VNNI makes signed kernels exact); [] for fp32. */
  int8Weights: string[];
  /** Median over rounds of rows scored per second. */
  docsPerSecond: number;
  /** With `profile`: milliseconds per run by operator type (kernelTimes). */
  kernels?: Record<string, number>;
  /** Median over rounds of rows scored per second of this process's CPU time (work, not waiting). */
  docsPerCpuSecond: number;
  rounds: (CpuUse & { docsPerSecond: number; docsPerCpuSecond: number })[];
}

export interface FusionRow {
  preset: PresetName;
  dtype: FusionDtype;
  ours: FusionContender;
  /** The published-style export or our standard-operator graph (`versus`). */
  peer: FusionContender;
  /** ours / peer docs/s (ratio of the medians). */
  ratio: number;
  /** Median of the per-round ratios (cancels noise that lasts a round). */
  roundRatioMedian: number;
  /** Median of the per-round ratios of docs per CPU-second. */
  cpuRatioMedian: number;
  /** Rounds where other processes took more than CONTENDED_SHARE of the cores (1-based). */
  contendedRounds: number[];
}

export interface FusionResult {
  benchmark: 'fusion';
  startedAt: string;
  machine: MachineInfo;
  options: FusionOptions;
  rows: FusionRow[];
  durationSeconds: number;
  loadAverage: { before: number; after: number };
}

interface Session {
  name: FusionContender['name'];
  modelFile: string;
  session: ort.InferenceSession;
  feeds: Record<string, ort.Tensor>;
}

/** Our built graph vs a published-style export of the same weights, same session options, alternating. */
export async function runFusion(options: FusionOptions, log: (line: string) => void): Promise<FusionResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadBefore = loadavg()[0]!;
  const rows: FusionRow[] = [];
  const perRow = 2 * (options.warmup + options.rounds * options.runs);
  const progress = createProgress(perRow * options.presets.length * options.dtypes.length, undefined, 'runs');
  try {
    for (const preset of options.presets) {
      const versus = options.versus ?? 'published';
      log(
        `synthesizing or reusing ${preset} and its ${versus === 'published' ? 'published-style export' : 'standard-operator graph'} (RANDOM weights)`,
      );
      const onnx = options.externalData ? ('external-data' as const) : ('inline' as const);
      if (onnx === 'external-data' && versus === 'published')
        throw new Error(
          '--external-data needs --versus standard (the published-style export is written inline)',
        );
      const dirs = {
        ours: await engineModelDir(preset, onnx),
        peer:
          versus === 'published'
            ? await publishedStyleModelDir(preset)
            : await synthesizedModelDir(preset, { layout: { operators: 'standard', onnx } }),
        peerName: versus === 'published' ? ('published-style' as const) : ('standard' as const),
      };
      for (const dtype of options.dtypes) rows.push(await measureRow(preset, dtype, dirs, options, progress));
    }
  } finally {
    progress.stop();
  }
  return {
    benchmark: 'fusion',
    startedAt,
    machine: machineInfo(),
    options,
    rows,
    durationSeconds: (performance.now() - started) / 1000,
    loadAverage: { before: loadBefore, after: loadavg()[0]! },
  };
}

async function measureRow(
  preset: PresetName,
  dtype: FusionDtype,
  dirs: { ours: string; peer: string; peerName: 'published-style' | 'standard' },
  options: FusionOptions,
  progress: Progress,
): Promise<FusionRow> {
  const file = ONNX_FILE_BY_DTYPE[dtype];
  const entries = [
    ['ours', join(dirs.ours, file)],
    [dirs.peerName, join(dirs.peer, file)],
  ] as const;
  const graphs = new Map<string, OptimizedGraph>();
  for (const [name, path] of entries) graphs.set(name, await optimizedGraph(path));
  const sessions: Session[] = [];
  try {
    for (const [name, modelFile] of entries) {
      const session = await ort.InferenceSession.create(
        modelFile,
        backendSessionOptions(options.threads, options.spinning),
      );
      sessions.push({
        name,
        modelFile,
        session,
        feeds: await fixedFeeds(session, dirs.ours, preset, options),
      });
    }
    const rounds = new Map<string, FusionContender['rounds']>(sessions.map((s) => [s.name, []]));
    for (const s of sessions)
      await timeRuns(s, options.warmup, progress, `${preset} ${dtype} warm-up ${s.name}`);
    for (let round = 1; round <= options.rounds; round++) {
      // The first contender alternates, so neither always runs right after the other's threads spun.
      const order = round % 2 === 1 ? sessions : [...sessions].reverse();
      for (const s of order) {
        const phase = `${preset} ${dtype} round ${round}/${options.rounds} ${s.name}`;
        await sleep(options.settleMs);
        const { seconds, ...cpu } = await timeRuns(s, options.runs, progress, phase);
        const docs = options.batchSize * options.runs;
        const cpuSeconds = cpu.cpuShare * seconds * availableParallelism();
        rounds
          .get(s.name)!
          .push({ docsPerSecond: docs / seconds, docsPerCpuSecond: docs / cpuSeconds, ...cpu });
        const docsPerSecond = docs / seconds;
        progress.phaseDone(
          phase,
          `${rate(docsPerSecond)} docs/s, others' cpu ${cpu.othersShare?.toFixed(2) ?? 'n/a'}`,
        );
      }
    }
    const kernels = new Map<string, Record<string, number>>();
    if (options.profile) {
      const sessionOptions = backendSessionOptions(options.threads, options.spinning);
      for (const s of sessions)
        kernels.set(s.name, await kernelTimes(s.modelFile, s.feeds, sessionOptions, options.profile));
    }
    const [ours, peer] = sessions.map(
      (s): FusionContender => ({
        name: s.name,
        modelFile: s.modelFile,
        // The nodes of the path this workload takes (an If in our graph chooses by padding).
        fusion: summarizeFusion(graphs.get(s.name)![options.padded ? 'counts' : 'unpaddedCounts']),
        int8Weights: graphs.get(s.name)!.int8Weights,
        docsPerSecond: median(rounds.get(s.name)!.map((r) => r.docsPerSecond)),
        docsPerCpuSecond: median(rounds.get(s.name)!.map((r) => r.docsPerCpuSecond)),
        rounds: rounds.get(s.name)!,
        ...(kernels.has(s.name) ? { kernels: kernels.get(s.name)! } : {}),
      }),
    ) as [FusionContender, FusionContender];
    const roundRatios = ours.rounds.map((r, i) => r.docsPerSecond / peer.rounds[i]!.docsPerSecond);
    const contendedRounds = roundRatios.flatMap((_, i) =>
      [ours, peer].some((c) => (c.rounds[i]!.othersShare ?? 0) > CONTENDED_SHARE) ? [i + 1] : [],
    );
    return {
      preset,
      dtype,
      ours,
      peer,
      ratio: ours.docsPerSecond / peer.docsPerSecond,
      roundRatioMedian: median(roundRatios),
      cpuRatioMedian: median(
        ours.rounds.map((r, i) => r.docsPerCpuSecond / peer.rounds[i]!.docsPerCpuSecond),
      ),
      contendedRounds,
    };
  } finally {
    for (const s of sessions) await s.session.release();
  }
}

async function timeRuns(
  s: Session,
  count: number,
  progress: Progress,
  phase: string,
): Promise<CpuUse & { seconds: number }> {
  const cpu = measureCpu();
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const { logits } = await s.session.run(s.feeds);
    logits?.dispose();
    progress.tick(phase);
  }
  return { seconds: (performance.now() - start) / 1000, ...cpu() };
}
