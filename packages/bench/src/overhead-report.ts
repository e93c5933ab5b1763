// The result of `reranker-bench overhead` as markdown.
import { CONTENDED_SHARE, type OverheadResult } from './overhead';
import { median } from './stats';

/** The engine must keep at least this share of raw onnxruntime's throughput (the target). */
export const TARGET_RATIO = 0.95;

const f1 = (n: number) => n.toFixed(1);
const f0 = (n: number) => n.toFixed(0);

/** The result as markdown: machine, caveat, table, ratio. */
export function overheadMarkdown(r: OverheadResult): string {
  const { options: o, machine: m } = r;
  const rows = [r.raw, r.engine].map((c) => {
    const values = c.rounds.map((x) => x.docsPerSecond);
    const range = `${f1(Math.min(...values))}–${f1(Math.max(...values))}`;
    const share = median(c.rounds.map((x) => x.cpuShare)).toFixed(2);
    const others = median(c.rounds.map((x) => x.othersShare ?? Number.NaN)).toFixed(2);
    return `| ${c.name} | ${f1(c.docsPerSecond)} | ${range} | ${f0(c.latencyMs.p50)} | ${f0(c.latencyMs.p95)} | ${share} | ${others} | ${c.setup} |`;
  });
  const perRound = r.roundRatios.map(
    (x, i) => `${x.toFixed(3)}${r.contendedRounds.includes(i + 1) ? '*' : ''}`,
  );
  const verdict = r.ratio >= TARGET_RATIO ? 'meets' : 'misses';
  return [
    `## overhead: engine vs raw onnxruntime (${o.preset})`,
    '',
    `> Synthetic model: real ${o.preset} architecture and cost, RANDOM weights. Scores carry no meaning; speed does.`,
    '',
    `Machine: ${m.cores} cores, ${m.cpuModel} (${m.simd.join(' ') || 'no AVX2'}), Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, ${m.os}.`,
    `Workload: ${o.docs} documents per request, every pair ${o.pairTokens} tokens, batches of ${o.batchSize}; ` +
      `${o.rounds} rounds × ${o.requests} requests per contender after ${o.warmup} warm-up requests, one request at a time, ${o.settleMs} ms idle before each timed phase.`,
    '',
    '| contender | docs/s (median of rounds) | docs/s range | p50 ms/request | p95 ms/request | own cpu | others cpu | setup |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    `engine / raw: **${r.ratio.toFixed(3)}** (${verdict} the target ≥ ${TARGET_RATIO}); median of the per-round ratios ${r.roundRatioMedian.toFixed(3)}, of the uncontended rounds ${Number.isNaN(r.uncontendedRatioMedian) ? 'n/a (all contended)' : r.uncontendedRatioMedian.toFixed(3)}.`,
    `Per round: ${perRound.join(', ')} (* = other processes used more than ${CONTENDED_SHARE} of the cores during the round: noisy).`,
    `Run took ${f0(r.durationSeconds)} s; 1-minute load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after (the run itself adds about ${m.cores}).`,
    '',
  ].join('\n');
}
