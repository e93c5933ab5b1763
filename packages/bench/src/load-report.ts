// Sorting request outcomes of `load` (and scripts/performance_test.sh) into figures, as lines and markdown.
import type { LoadResult } from './load';
import type { Summary } from './rerank-requests';

/** Every failure by kind: HTTP status (503 included), `network`, `malformed 200`. */
export function errorCounts(s: Summary): Record<string, number> {
  const counts: Record<string, number> = { ...s.httpErrors };
  if (s.overloaded > 0) counts['503'] = s.overloaded;
  if (s.networkErrors > 0) counts.network = s.networkErrors;
  if (s.badBodies > 0) counts['malformed 200'] = s.badBodies;
  return counts;
}

const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(1)} ms`);
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([status, n]) => `${status}×${n}`)
    .join(', ') || 'none';

/** One `name: value` line per figure, so people and scripts can both read it. */
export function formatSummary(summary: Summary, seconds: number, documentsPerRequest: number): string[] {
  const rate = summary.total === 0 ? 0 : (100 * summary.ok) / summary.total;
  return [
    `total requests: ${summary.total}`,
    `successful: ${summary.ok}`,
    `success rate: ${rate.toFixed(2)}%`,
    `overloaded (503): ${summary.overloaded} (with Retry-After: ${summary.overloadedWithRetryAfter})`,
    `other HTTP errors: ${counts(summary.httpErrors)}`,
    `network errors/timeouts: ${summary.networkErrors}`,
    `malformed responses: ${summary.badBodies}`,
    `duration: ${seconds.toFixed(2)} s`,
    `requests/s: ${(summary.ok / seconds).toFixed(2)}`,
    `documents/s: ${((summary.ok * documentsPerRequest) / seconds).toFixed(1)}`,
    `latency p50: ${ms(summary.p50)}`,
    `latency p95: ${ms(summary.p95)}`,
    `latency p99: ${ms(summary.p99)}`,
  ];
}

const row = (label: string, s: Summary, seconds: number | undefined, docs: number) => {
  const rate = seconds === undefined ? '' : (s.ok / seconds).toFixed(2);
  const docRate = seconds === undefined ? '' : ((s.ok * docs) / seconds).toFixed(1);
  return `| ${label} | ${s.total} | ${s.ok} | ${rate} | ${docRate} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${counts(errorCounts(s))} |`;
};

/** The run as markdown: target and workload, one row for the run (and one per stress stage). */
export function loadMarkdown(r: LoadResult): string {
  const o = r.options;
  return [
    `## load: ${o.mode} against ${r.target}`,
    '',
    `${o.mode === 'latency' ? 'One request at a time' : `Up to ${o.concurrency} requests in flight`}, ${o.docs} documents of ~${o.docWords} words per request, seed ${o.seed}. Requests/s and documents/s count successful requests over the run's wall time; latency percentiles are of successful requests.${r.perModel.length > 0 ? ` Each request names one model (\`model\`), in the weighted round-robin ${r.perModel.map((m) => `${m.model}×${m.weight}`).join(', ')}; a model's row counts its requests over the same wall time.` : ''}`,
    '',
    '| run | requests | ok | requests/s | docs/s | p50 | p95 | p99 | errors by status |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    row(`${o.mode} (all)`, r.summary, r.seconds, o.docs),
    ...r.stages.map((stage) => row(`concurrency ${stage.concurrency}`, stage.summary, stage.seconds, o.docs)),
    ...r.perModel.map((m) => row(`model ${m.model} (weight ${m.weight})`, m.summary, r.seconds, o.docs)),
    '',
    ...(r.stoppedEarly ? [`Stopped early: --max-seconds ${o.maxSeconds} reached.`, ''] : []),
    ...r.failures.map((f) => `- failure: ${f}`),
    ...(r.failures.length > 0 ? [''] : []),
  ].join('\n');
}
