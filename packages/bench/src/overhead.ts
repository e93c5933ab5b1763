import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type PresetName, synthesizedModelDir } from '@reranker/testkit';
import { type Contender, engineContender, rawContender } from './contenders';
import { type MachineInfo, machineInfo } from './machine';
import { createProgress, type Progress } from './progress';
import { median, percentile } from './stats';
import { buildWorkload } from './workload';

export interface OverheadOptions {
  /** Synthesized model preset (random weights). @default 'minilm-l6' */
  preset: PresetName;
  /** Documents per request. @default 32 */
  docs: number;
  /** Timed requests per contender in each round. @default 8 */
  requests: number;
  /** Rounds; each runs raw then engine, so machine noise hits both. @default 6 */
  rounds: number;
  /** Rows per inference batch, for both contenders. @default 16 */
  batchSize: number;
  /** Untimed requests per contender before the first round. @default 2 */
  warmup: number;
  /** Tokens of every (query, document) pair, special tokens included. @default 128 */
  pairTokens: number;
}

export interface ContenderResult {
  name: string;
  setup: string;
  /** Median over rounds of documents scored per second. */
  docsPerSecond: number;
  roundDocsPerSecond: number[];
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
  /** engine.docsPerSecond / raw.docsPerSecond. */
  ratio: number;
  /** engine / raw within each round, which cancels noise that lasts a round. */
  roundRatios: number[];
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
  log(`synthesizing or reusing preset ${options.preset} (real architecture and cost, RANDOM weights)`);
  const modelDir = await synthesizedModelDir(options.preset);
  const workload = await buildWorkload(modelDir, options.docs, options.pairTokens);
  log(`workload: ${options.docs} documents per request, every pair exactly ${workload.pairTokens} tokens`);

  const contenders: Contender[] = [];
  try {
    contenders.push(await rawContender(join(modelDir, 'onnx', 'model.onnx'), workload, options.batchSize));
    contenders.push(await engineContender(modelDir, workload, options.batchSize));
    const total = contenders.length * (options.warmup + options.rounds * options.requests);
    const progress = createProgress(total);
    const rounds = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    const latencies = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    try {
      for (const contender of contenders) {
        await timeRequests(contender, options.warmup, progress, `warm-up ${contender.name}`);
      }
      for (let round = 1; round <= options.rounds; round++) {
        for (const contender of contenders) {
          const phase = `round ${round}/${options.rounds} ${contender.name}`;
          const { seconds, latencyMs } = await timeRequests(contender, options.requests, progress, phase);
          const docsPerSecond = (options.docs * options.requests) / seconds;
          rounds.get(contender.name)!.push(docsPerSecond);
          latencies.get(contender.name)!.push(...latencyMs);
          progress.phaseDone(phase, `${docsPerSecond.toFixed(1)} docs/s`);
        }
      }
    } finally {
      progress.stop();
    }
    const [raw, engine] = contenders.map((c) => summarize(c, rounds.get(c.name)!, latencies.get(c.name)!));
    const rawRounds = rounds.get('raw')!;
    return {
      benchmark: 'overhead',
      startedAt,
      machine: machineInfo(),
      options,
      modelDir,
      raw: raw!,
      engine: engine!,
      ratio: engine!.docsPerSecond / raw!.docsPerSecond,
      roundRatios: rounds.get('engine')!.map((e, i) => e / rawRounds[i]!),
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
): Promise<{ seconds: number; latencyMs: number[] }> {
  const latencyMs: number[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const requestStart = performance.now();
    await contender.request();
    latencyMs.push(performance.now() - requestStart);
    progress.tick(phase);
  }
  return { seconds: (performance.now() - start) / 1000, latencyMs };
}

function summarize(contender: Contender, rounds: number[], latencyMs: number[]): ContenderResult {
  return {
    name: contender.name,
    setup: contender.setup,
    docsPerSecond: median(rounds),
    roundDocsPerSecond: rounds,
    latencyMs: {
      p50: percentile(latencyMs, 50),
      p95: percentile(latencyMs, 95),
      max: Math.max(...latencyMs),
    },
  };
}
