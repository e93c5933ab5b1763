// Hand-written SVG bar charts of benchmark results: horizontal bars, one panel per figure, no dependency.
import type { CompareResult } from './compare';
import type { EvalResult } from './eval';
import type { TableResult } from './table';
import { rowNote } from './table-report';

/** One labelled row of a panel: a value per series, or none and a note saying why. */
export interface ChartRow {
  label: string;
  /** One per series of the panel; undefined when the row has no figures (then `note` is drawn instead). */
  values?: readonly number[];
  note?: string;
}

export interface ChartPanel {
  title: string;
  /** Names of the bars of each row (e.g. `p50`, `p95`), in legend order. */
  series: readonly string[];
  unit: string;
  rows: readonly ChartRow[];
}

const WIDTH = 960;
const LABEL_WIDTH = 200;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 14;
const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1'];

/** Text as XML character data or attribute value. */
export function xmlEscape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const format = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

function panelSvg(panel: ChartPanel, top: number): { svg: string[]; height: number } {
  const rowHeight = panel.series.length * BAR_HEIGHT + 10;
  const max = Math.max(0, ...panel.rows.flatMap((r) => r.values ?? []));
  const scale = max > 0 ? (WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20) / max : 0;
  const legend = panel.series.map(
    (name, i) =>
      `<rect x="${WIDTH - 120 * (panel.series.length - i)}" y="${top + 6}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>` +
      `<text x="${WIDTH - 120 * (panel.series.length - i) + 14}" y="${top + 15}">${xmlEscape(name)}</text>`,
  );
  const svg = [
    `<text class="title" x="10" y="${top + 16}">${xmlEscape(`${panel.title} (${panel.unit})`)}</text>`,
    ...legend,
  ];
  panel.rows.forEach((row, r) => {
    const y = top + 28 + r * rowHeight;
    svg.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + rowHeight / 2}" text-anchor="end">${xmlEscape(row.label)}</text>`,
    );
    if (row.values === undefined) {
      // No bar at all: a zero-length bar would read as "measured, and zero".
      const note = row.note ?? 'no figures';
      const short = note.length > 110 ? `${note.slice(0, 107)}...` : note;
      svg.push(
        `<text class="unavailable" x="${LABEL_WIDTH + 4}" y="${y + rowHeight / 2}"><title>${xmlEscape(note)}</title>${xmlEscape(short)}</text>`,
      );
      return;
    }
    row.values.forEach((value, s) => {
      const by = y + 4 + s * BAR_HEIGHT;
      const width = Math.max(1, value * scale);
      const series = panel.series[s] ?? '';
      svg.push(
        `<rect class="bar" data-series="${xmlEscape(series)}" data-row="${xmlEscape(row.label)}" x="${LABEL_WIDTH}" y="${by}" width="${width.toFixed(1)}" height="${BAR_HEIGHT - 2}" fill="${COLORS[s % COLORS.length]}"/>`,
        `<text x="${(LABEL_WIDTH + width + 4).toFixed(1)}" y="${by + BAR_HEIGHT - 3}">${format(value)}</text>`,
      );
    });
  });
  return { svg, height: 36 + panel.rows.length * rowHeight };
}

/** Panels stacked top to bottom in one SVG document. */
export function chartSvg(title: string, panels: readonly ChartPanel[]): string {
  const body: string[] = [];
  let top = 30;
  for (const panel of panels) {
    const { svg, height } = panelSvg(panel, top);
    body.push(...svg);
    top += height + 10;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" font-family="sans-serif" font-size="12">`,
    '<style>.title{font-weight:bold;font-size:14px}.unavailable{fill:#777;font-style:italic}</style>',
    `<rect width="${WIDTH}" height="${top}" fill="#fff"/>`,
    `<text class="title" x="10" y="20">${xmlEscape(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** `table`: per model, documents/s and latency p50/p95 by backend × batch size. */
export function tableChartSvg(r: TableResult): string {
  const panels = r.models.flatMap((model) => {
    const rows = r.rows.filter((row) => row.model === model.name);
    const label = (row: (typeof rows)[number]) => `${row.backend} × batch ${row.batchSize}`;
    const name = model.synthesized ? `${model.name} (synthesized, random weights)` : model.name;
    const docs: ChartRow[] = rows.map((row) =>
      row.docsPerSecond === undefined
        ? { label: label(row), note: rowNote(row) }
        : { label: label(row), values: [row.docsPerSecond] },
    );
    const latency: ChartRow[] = rows.map((row) =>
      row.latencyMs === undefined
        ? { label: label(row), note: rowNote(row) }
        : { label: label(row), values: [row.latencyMs.p50, row.latencyMs.p95] },
    );
    return [
      { title: `${name}: documents/s`, series: ['docs/s'], unit: 'higher is better', rows: docs },
      {
        title: `${name}: latency per request`,
        series: ['p50', 'p95'],
        unit: 'ms, lower is better',
        rows: latency,
      },
    ];
  });
  return chartSvg(`reranker table: ${r.machine.cores} cores, ${r.machine.cpuModel}`, panels);
}

/** `compare`: documents/s and latency p50/p95 by contender; failed contenders labelled. */
export function compareChartSvg(r: CompareResult): string {
  const failed = r.failures.map((f) => ({ label: f.name, note: `failed: ${f.error}` }));
  return chartSvg(`reranker compare (${r.options.preset}, synthesized, random weights)`, [
    {
      title: 'documents/s',
      series: ['docs/s'],
      unit: 'higher is better',
      rows: [...r.rows.map((x) => ({ label: x.name, values: [x.docsPerSecond] })), ...failed],
    },
    {
      title: 'latency per request',
      series: ['p50', 'p95'],
      unit: 'ms, lower is better',
      rows: [
        ...r.rows.map((x) => ({ label: x.name, values: [x.latencyMs.p50, x.latencyMs.p95] })),
        ...failed,
      ],
    },
  ]);
}

/** `eval`: nDCG@10 and MRR@10, then Recall@k, per run; the agreement of the two configurations. */
export function evalChartSvg(r: EvalResult): string {
  const label = (run: EvalResult['runs'][number]) => (run.config ? `rerank ${run.config.label}` : run.name);
  const ks = r.options.recallAt;
  const panels: ChartPanel[] = [
    {
      title: 'nDCG@10 and MRR@10',
      series: ['nDCG@10', 'MRR@10'],
      unit: 'higher is better',
      rows: r.runs.map((run) => ({ label: label(run), values: [run.metrics.ndcgAt10, run.metrics.mrrAt10] })),
    },
    {
      title: 'Recall@k',
      series: ks.map((k) => `Recall@${k}`),
      unit: 'higher is better',
      rows: r.runs.map((run) => ({
        label: label(run),
        values: ks.map((k) => run.metrics.recall[String(k)]!),
      })),
    },
  ];
  const a = r.agreement;
  if (a) {
    const tau = a.kendallTauB.mean;
    panels.push({
      title: `agreement, ${a.between[0]} vs ${a.between[1]}`,
      series: ['Kendall tau-b', 'top-10 overlap'],
      unit: '1 = same ranking',
      rows: [
        Number.isFinite(tau)
          ? { label: 'mean over queries', values: [tau, a.top10Overlap] }
          : { label: 'mean over queries', note: 'tau undefined on every query (all scores tied)' },
      ],
    });
  }
  const model = r.model.synthesized
    ? `${r.model.name} (synthesized, random weights: meaningless)`
    : r.model.name;
  // The folder's name only: a full path would run past the chart's width.
  const data = r.dataset.path.split(/[\\/]/).pop();
  return chartSvg(
    `reranker eval: ${model}, ${r.dataset.queries} queries of ${data} (${r.dataset.split})`,
    panels,
  );
}
