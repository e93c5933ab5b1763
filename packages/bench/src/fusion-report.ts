// The result of `reranker-bench fusion` as markdown.
import type { FusionContender, FusionResult, FusionRow } from './fusion';
import { LEFTOVER_OPS } from './fusion-ops';
import { CONTENDED_SHARE } from './overhead';

/** Where the export fuses less, our graph should score at least this much faster (the target). */
export const FUSION_TARGET_RATIO = 1.15;

const short = (op: string) => op.replace('com.microsoft:', '');
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${short(op)} ${n}`)
    .join(', ') || 'none';

function contenderRow(row: FusionRow, c: FusionContender): string {
  const values = c.rounds.map((r) => r.docsPerSecond);
  const range = `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
  const dtype = c.int8Weights.length ? `${row.dtype} (${c.int8Weights.join(' + ')} weights)` : row.dtype;
  return `| ${row.preset} | ${dtype} | ${c.name} | ${c.fusion.leftoverTotal} (${counts(c.fusion.leftovers)}) | ${counts(c.fusion.fused)} | ${c.fusion.residualAdds} | ${c.docsPerSecond.toFixed(1)} | ${range} | ${c.docsPerCpuSecond.toFixed(1)} |`;
}

/** The result as markdown: machine, fused node counts per graph, docs/s and the ratios. */
export function fusionMarkdown(r: FusionResult): string {
  const { options: o, machine: m } = r;
  const ratios = r.rows.map((row) => {
    const perRound = row.ours.rounds.map((x, i) => {
      const ratio = x.docsPerSecond / row.peer.rounds[i]!.docsPerSecond;
      return `${ratio.toFixed(2)}${row.contendedRounds.includes(i + 1) ? '*' : ''}`;
    });
    const exportFusesLess = row.peer.fusion.leftoverTotal > row.ours.fusion.leftoverTotal;
    const verdict = !exportFusesLess
      ? 'the export fuses as fully: a ratio near 1 is expected'
      : row.ratio >= FUSION_TARGET_RATIO
        ? `meets ≥ ${FUSION_TARGET_RATIO}`
        : `misses ≥ ${FUSION_TARGET_RATIO}`;
    return `| ${row.preset} | ${row.dtype} | **${row.ratio.toFixed(3)}** | ${row.roundRatioMedian.toFixed(3)} | ${row.cpuRatioMedian.toFixed(3)} | ${verdict} | ${perRound.join(' ')} |`;
  });
  return [
    `## fusion: our built graph vs ${o.versus === 'standard' ? 'our standard-operator graph' : 'a published-style export'}, onnxruntime-node CPU`,
    '',
    '> Synthetic models: real architecture and cost, RANDOM weights.',
    o.versus === 'standard'
      ? "> The peer is @reranker/onnx-builder's `operators: 'standard'` graph of the same weights (ONNX operators only)."
      : '> The published-style export is written by the testkit in the form torch.onnx.export gives (opset 14, standard operators), from the same weights.',
    '',
    `Machine: ${m.cores} cores, ${m.cpuModel} (${m.simd.join(' ') || 'no AVX2'}), Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, ${m.os}.`,
    `Session options of the node backend's workers (graphOptimizationLevel all, intraOpNumThreads ${o.threads ?? m.cores}, interOpNumThreads 1, sequential, spinning ${o.spinning === false ? 'off' : 'on'}), CPU provider.`,
    `Workload: one batch of ${o.batchSize} rows × ${o.pairTokens} tokens (${o.padded ? 'every second row padded in its last quarter: our graph takes its padded path' : 'no padding: our graph takes its flash-attention path'}) per run; ${o.rounds} rounds × ${o.runs} runs per contender after ${o.warmup} warm-up run(s), the first contender alternating by round, ${o.settleMs} ms idle before each timed phase.`,
    '',
    `Nodes onnxruntime runs after optimization (saved through optimizedModelFilePath). Unfused leftovers: ${LEFTOVER_OPS.join(', ')}.`,
    '',
    '| preset | dtype | graph | unfused leftovers | fused nodes | residual Add → LayerNormalization | docs/s (median) | docs/s range | docs per CPU-second |',
    '| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: |',
    ...r.rows.flatMap((row) => [contenderRow(row, row.ours), contenderRow(row, row.peer)]),
    '',
    '| preset | dtype | ours / peer docs/s | median of round ratios | per CPU-second (median of rounds) | verdict | per round |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
    ...ratios,
    '',
    `\\* = other processes used more than ${CONTENDED_SHARE} of the cores during the round (noisy).`,
    `Run took ${r.durationSeconds.toFixed(0)} s; 1-minute load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after (the run itself adds about ${m.cores}).`,
    '',
  ].join('\n');
}
