// The result of `reranker-bench fusion` as markdown.

import { LEFTOVER_OPS } from './fusion-ops';
import { kernelTotal } from './fusion-profile';
import type { FusionContender, FusionResult, FusionRow } from './fusion-types';
import { CONTENDED_SHARE } from './overhead';
import { rate } from './stats';

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
  const range = `${rate(Math.min(...values))}–${rate(Math.max(...values))}`;
  const dtype = c.int8Weights.length ? `${row.dtype} (${c.int8Weights.join(' + ')} weights)` : row.dtype;
  return `| ${row.preset} | ${dtype} | ${c.name} | ${c.fusion.leftoverTotal} (${counts(c.fusion.leftovers)}) | ${counts(c.fusion.fused)} | ${c.fusion.residualAdds} | ${rate(c.docsPerSecond)} | ${range} | ${rate(c.docsPerCpuSecond)} |`;
}

/** Per row with `--profile`: ms per run by operator type, ours beside the peer, biggest first. */
function kernelTables(r: FusionResult): string[] {
  return r.rows.flatMap((row) => {
    const ours = row.ours.kernels;
    const peer = row.peer.kernels;
    if (!ours || !peer) return [];
    const ms = (t: Record<string, number>, op: string) => (t[op] === undefined ? '—' : t[op]!.toFixed(1));
    const ops = [...new Set([...Object.keys(ours), ...Object.keys(peer)])]
      .filter((op) => Math.max(ours[op] ?? 0, peer[op] ?? 0) >= 0.05)
      .sort((a, b) => Math.max(peer[b] ?? 0, ours[b] ?? 0) - Math.max(peer[a] ?? 0, ours[a] ?? 0));
    return [
      `Kernel time of ${row.preset} ${row.dtype}, ms per run (onnxruntime's profiler; an If's time includes its branch's nodes, left out of the total):`,
      '',
      `| operator | ours | ${row.peer.name} |`,
      '| --- | ---: | ---: |',
      ...ops.map((op) => `| ${op} | ${ms(ours, op)} | ${ms(peer, op)} |`),
      `| **total** | **${kernelTotal(ours).toFixed(1)}** | **${kernelTotal(peer).toFixed(1)}** |`,
      '',
    ];
  });
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
    ...(o.profile ? ['', ...kernelTables(r)] : []),
    `Run took ${r.durationSeconds.toFixed(0)} s; 1-minute load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after (the run itself adds about ${m.cores}).`,
    '',
  ].join('\n');
}
