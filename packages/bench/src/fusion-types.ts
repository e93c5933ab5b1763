// The options and results of `reranker-bench fusion`.
import type { PresetName } from '@reranker/testkit';
import type { CpuUse } from './cpu';
import type { FusionSummary } from './fusion-ops';
import type { MachineInfo } from './machine';

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
