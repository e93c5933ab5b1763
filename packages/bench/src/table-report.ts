import { CONTENDED_SHARE } from './overhead';
import type { TableResult } from './table';
import type { TableRow } from './table-measure';

/** What a pair of an LLM reranker counts (see table-workload.ts). */
const LLM_NOTE =
  " An LLM reranker: a pair counts the query's and the document's tokens; the prompt adds its template (system turn, instruction, suffix), of which the part before the document runs once per request.";

/** A figure, or a dash in a row that has none. */
const cell = (value: number | undefined, digits: number) =>
  value === undefined ? '—' : value.toFixed(digits);

/** The note of a row: the reason it has no figures, or how many requests its figures cover. */
export function rowNote(row: TableRow): string {
  if (row.status === 'unavailable') return `unavailable: ${row.reason ?? 'no reason given'}`;
  if (row.status === 'failed') return `failed: ${row.reason ?? 'no reason given'}`;
  const device = row.device !== undefined && row.device !== row.backend ? `, ran on ${row.device}` : '';
  const n = row.requests ?? 0;
  const count = n === 1 ? '1 request (p50 = p95 = its latency)' : `${n} requests`;
  const others =
    (row.othersShare ?? 0) > CONTENDED_SHARE ? `, others' cpu ${row.othersShare!.toFixed(2)} (noisy)` : '';
  return `${count} in ${cell(row.seconds, 1)} s${device}${others}`;
}

/** Markdown cells cannot hold `|` or line breaks. */
const cellText = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The original table's columns (Backend, Batch Size, Documents/sec, Latency p50, Latency p95) and a note. */
export function tableRowsMarkdown(rows: readonly TableRow[]): string[] {
  return [
    '| Backend | Batch Size | Documents/sec | Latency p50 | Latency p95 | Note |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.backend} | ${r.batchSize} | ${cell(r.docsPerSecond, 1)} | ${
          r.latencyMs ? `${r.latencyMs.p50.toFixed(0)} ms` : '—'
        } | ${r.latencyMs ? `${r.latencyMs.p95.toFixed(0)} ms` : '—'} | ${cellText(rowNote(r))} |`,
    ),
  ];
}

/** The whole run: machine, workload, one table per model (synthesized ones say so), backend setups. */
export function tableMarkdown(r: TableResult): string {
  const m = r.machine;
  const sections = r.models.flatMap((model) => {
    const heading = model.synthesized
      ? `### ${model.name} (synthesized model, random weights: real architecture and cost, scores meaningless)`
      : `### ${model.name}`;
    const t = model.pairTokens;
    return [
      heading,
      '',
      `Pairs of ${t.min}–${t.max} tokens (mean ${t.mean.toFixed(0)}), dtype ${r.options.dtype}.${
        model.kind === 'cross-encoder' ? '' : LLM_NOTE
      }`,
      '',
      ...tableRowsMarkdown(r.rows.filter((row) => row.model === model.name)),
      '',
    ];
  });
  const anySynthesized = r.models.some((x) => x.synthesized);
  return [
    '## table: documents/s and request latency by backend and batch size',
    '',
    ...(anySynthesized
      ? [
          '> Synthesized models: real architecture and cost, RANDOM weights. Scores carry no meaning; speed does.',
          '',
        ]
      : []),
    `Machine: ${m.cores} cores, ${m.cpuModel} (${m.simd.join(' ') || 'no AVX2'}), Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, onnxruntime-web ${m.onnxruntimeWeb}, ${m.os}.`,
    `Workload: ${r.workload.description}. Documents/sec = documents of the timed requests / their wall time; latency = per request.`,
    '',
    ...sections,
    ...Object.entries(r.setups).map(([backend, setup]) => `- ${backend}: ${setup}`),
    '',
    `Run took ${r.durationSeconds.toFixed(0)} s.`,
    '',
  ].join('\n');
}
