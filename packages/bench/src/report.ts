import type { BreakdownOptions, BreakdownResult } from './breakdown';
import { CONTENDED_SHARE, type OverheadResult } from './overhead';
import type { SpinningOptions, SpinningResult } from './spinning';
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

/** Where one engine request's time goes, next to raw onnxruntime on the same batches. */
export function breakdownMarkdown(b: BreakdownResult, o: BreakdownOptions): string {
  const e = b.engine;
  const ms = (n: number) => n.toFixed(2);
  const runGap = e.backendRunMs - b.raw.sessionRunMs;
  return [
    `## breakdown: one request of ${o.docs} × ${o.pairTokens}-token pairs, batches of ${o.batchSize} (${b.batchesPerRequest} per request), medians of ${o.requests}`,
    '',
    '| stage | ms |',
    '| --- | ---: |',
    `| engine request (rerank call to results) | ${ms(e.requestMs)} |`,
    `| raw request (session.run over the same batches) | ${ms(b.raw.requestMs)} |`,
    `| engine: before the first batch (tokenize, SHA-256 keys, plan, pad batch 1) | ${ms(e.beforeFirstBatchMs)} |`,
    `| engine: between two batches (resolve rows, pad the next) | ${ms(e.betweenBatchesMs)} |`,
    `| engine: after the last batch (scores, sort) | ${ms(e.afterLastBatchMs)} |`,
    `| engine backend.run per batch (post to worker, run, reply) | ${ms(e.backendRunMs)} |`,
    `| raw session.run per batch (main thread) | ${ms(b.raw.sessionRunMs)} |`,
    `| backend.run − session.run per batch (messaging, worker scheduling, topology) | ${ms(runGap)} |`,
    `| main thread alone: tokenize ${o.docs} pairs | ${ms(b.mainThread.tokenizeMs)} |`,
    `| main thread alone: SHA-256 keys of ${o.docs} pairs | ${ms(b.mainThread.sha256KeysMs)} |`,
    `| main thread alone: pad ${o.docs} pairs into int64 batches | ${ms(b.mainThread.padMs)} |`,
    '',
  ].join('\n');
}

/** Batch time under one intra-op spinning setting, after the same or after another session. */
export function spinningMarkdown(r: SpinningResult, o: SpinningOptions): string {
  return [
    `## spinning: one batch of ${o.batchSize} × ${o.pairTokens} tokens, two sessions in one process, medians of ${o.runs}`,
    '',
    '| allow_spinning | ms after the same session | ms after the other session | process CPU s |',
    '| --- | ---: | ---: | ---: |',
    `| ${r.allowSpinning} | ${f1(r.afterSameMs)} | ${f1(r.afterOtherMs)} | ${f1(r.cpuSeconds)} |`,
    '',
  ].join('\n');
}
