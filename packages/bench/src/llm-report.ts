// The result of `reranker-bench llm` as markdown.
import type { LlmDtypeResult, LlmResult, LlmVariant } from './llm';
import { CONTENDED_SHARE } from './overhead';
import type { PeakRss } from './peak-rss';
import { median } from './stats';

/** The target: the engine at least this many times the naive forward's docs/s, per dtype. */
export const LLM_TARGET_RATIO = 1.8;

const gib = (p: PeakRss | undefined) =>
  p === undefined
    ? '—'
    : `${(p.bytes / 2 ** 30).toFixed(2)} GiB${p.scope === 'process' ? ' (since start)' : ''}`;

const GRAPH = {
  engine: 'prefix reuse: prefix once per request, rows against its key/values, 2-row yes/no head',
  naive: 'whole prompt per document, empty past, full-vocabulary logits at every position',
} as const;

function row(d: LlmDtypeResult, v: LlmVariant): string {
  const values = v.rounds.map((r) => r.docsPerSecond);
  const range = `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
  const others = median(v.rounds.map((r) => r.othersShare ?? Number.NaN)).toFixed(2);
  return `| ${d.dtype} | ${v.name} | ${v.docsPerSecond.toFixed(2)} | ${range} | ${v.latencyMs.p50.toFixed(0)} | ${v.latencyMs.p95.toFixed(0)} | ${gib(v.peakRss)} | ${gib(v.loadPeakRss)} | ${v.loadSeconds.toFixed(1)} s | ${others} | ${GRAPH[v.name]} |`;
}

function verdict(d: LlmDtypeResult): string {
  const target = d.ratio >= LLM_TARGET_RATIO ? 'meets' : 'misses';
  const rounds = d.roundRatios
    .map((x, i) => `${x.toFixed(2)}${d.contendedRounds.includes(i + 1) ? '*' : ''}`)
    .join(', ');
  const s = d.scores;
  const agree = s.agree
    ? `scores agree: max |engine − naive| ${s.maxAbsDiff.toExponential(1)} over ${s.compared} documents (tolerance ${s.tolerance})`
    : `**SCORES DISAGREE**: max |engine − naive| ${s.maxAbsDiff.toExponential(1)} over ${s.compared} documents, past the tolerance ${s.tolerance}: the comparison is void`;
  const lru = d.engine.details.prefixCache as { hits?: number; misses?: number } | undefined;
  const prefix = lru ? `; engine prefix LRU ${lru.misses ?? 0} misses, ${lru.hits ?? 0} hits` : '';
  return `- **${d.dtype}**: engine / naive **${d.ratio.toFixed(2)}x** (${target} the target ≥ ${LLM_TARGET_RATIO}x); per round ${rounds}, median ${d.roundRatioMedian.toFixed(2)}x; ${agree}${prefix}.`;
}

export function llmMarkdown(r: LlmResult): string {
  const { machine: m, options: o, workload: w } = r;
  const first = r.dtypes[0];
  const setup = first
    ? `${first.engine.workers} worker(s) × ${first.engine.threadsPerWorker} intra-op thread(s) each, batch size ${o.batchSize ?? '16 (engine default)'}`
    : '';
  return [
    `## llm: the engine's prefix reuse vs the naive full-sequence forward (${o.preset})`,
    '',
    '> Synthesized model: real architecture and cost, RANDOM weights. Scores carry no meaning; speed and memory do.',
    '',
    `Machine: ${m.cores} cores, ${m.cpuModel}, Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, ${m.os}.`,
    `Workload: requests of ${o.docs} documents of ${w.docTokens.min}–${w.docTokens.max} tokens (mean ${w.docTokens.mean.toFixed(0)}), ${w.queryTokens}-token queries, a new query per request; ` +
      `the prompt of one document is ${w.promptTokens.toFixed(0)} tokens on average, of which the shared prefix (system turn, instruction, query) ${w.prefixTokens.toFixed(0)}. ` +
      `Both variants: createReranker (onnxruntime-node, the same session options), pair cache off, ${setup}, each in its own process; ` +
      `${o.warmup} warm-up request(s), then ${o.rounds} rounds × ${o.requests} request(s) per variant, the first variant alternating, ${o.settleMs} ms idle before each timed phase.`,
    '',
    '| dtype | variant | docs/s (median of rounds) | docs/s range | p50 ms/request | p95 ms/request | peak RSS (requests) | peak RSS (load) | load | others cpu | graph |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.dtypes.flatMap((d) => [row(d, d.engine), row(d, d.naive)]),
    '',
    ...r.dtypes.map(verdict),
    '',
    `\\* = other processes used more than ${CONTENDED_SHARE} of the cores during the round (noisy). Peak RSS is each variant's own process (Linux VmHWM, reset after loading).`,
    `Run took ${r.durationSeconds.toFixed(0)} s; 1-minute load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after.`,
    '',
  ].join('\n');
}
