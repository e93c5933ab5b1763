import type { CheckpointsResult } from './checkpoints';
import type { PeakRss } from './peak-rss';
import { tableRowsMarkdown } from './table-report';

const gib = (p: PeakRss | undefined) =>
  p === undefined
    ? '—'
    : `${(p.bytes / 2 ** 30).toFixed(2)} GiB${p.scope === 'process' ? ' (since start)' : ''}`;
const s = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(1)} s`);

/** The table rows of each dtype, then load times, peak memory and speed against fp32; or the long requests. */
export function checkpointsMarkdown(r: CheckpointsResult): string {
  const m = r.machine;
  const out = [
    '## checkpoints: safetensors-only presets, graphs built at load',
    '',
    '> Synthesized models: real architecture and cost, RANDOM weights. Scores carry no meaning; speed and memory do.',
    '',
    `Machine: ${m.cores} cores, ${m.cpuModel}, Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, ${m.os}.`,
    '',
  ];
  const models = [...new Set([...r.rows.map((x) => x.model), ...r.long.map((x) => x.model)])];
  for (const model of models) {
    const rows = r.rows.filter((x) => x.model === model);
    if (rows.length > 0) {
      out.push(
        `### ${model}`,
        '',
        `Requests of ${r.options.docs} documents, pairs of 128–256 tokens, onnxruntime-node CPU.`,
        '',
      );
      for (const row of rows) out.push(`dtype ${row.dtype}:`, '', ...tableRowsMarkdown([row]), '');
      out.push(
        '| dtype | build + load | cached load | peak RSS (build) | peak RSS (cached load + requests) | docs/s vs fp32 |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...rows.map(
          (x) =>
            `| ${x.dtype} | ${s(x.buildLoadSeconds)} | ${s(x.cachedLoadSeconds)} | ${gib(x.buildPeakRss)} | ${gib(x.peakRss)} | ${x.speedVsFp32 === undefined ? '—' : `${x.speedVsFp32.toFixed(2)}x`} |`,
        ),
        '',
      );
    }
    const long = r.long.filter((x) => x.model === model);
    if (long.length > 0) {
      out.push(
        `### ${model}: long pairs (maxLength ${r.options.longTokens}, engine defaults: batch size 16, token budget ${Math.max(8192, r.options.longTokens ?? 0)})`,
        '',
        '| dtype | pairs | tokens per pair | model runs | seconds | peak RSS |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...long.map(
          (x) =>
            `| ${x.dtype} | ${x.pairs} | ${x.tokensPerPair} | ${x.batches} | ${x.seconds.toFixed(0)} | ${gib(x.peakRss)} |`,
        ),
        '',
      );
    }
  }
  out.push(`Run took ${r.durationSeconds.toFixed(0)} s.`, '');
  return out.join('\n');
}
