import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ONNX_FILE_BY_DTYPE } from '@reranker/core';
import { type PresetName, publishedStyleModelDir, synthesizedModelDir } from '@reranker/testkit';
import * as ort from 'onnxruntime-node';
import { type CpuUse, measureCpu } from './cpu';
import { engineModelDir } from './engine-model';
import { fixedFeeds } from './fusion-feeds';
import { backendSessionOptions, type OptimizedGraph, optimizedGraph, summarizeFusion } from './fusion-ops';
import { kernelTimes } from './fusion-profile';
import type { FusionContender, FusionDtype, FusionOptions, FusionResult, FusionRow } from './fusion-types';
import { machineInfo } from './machine';
import { CONTENDED_SHARE } from './overhead';
import { createProgress, type Progress } from './progress';
import { median, rate } from './stats';

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
