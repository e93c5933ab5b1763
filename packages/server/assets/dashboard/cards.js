// The live cards: what each shows, computed from two consecutive /dashboard/stats snapshots.
import { formatNumber, LineChart } from './chart.js';

const rate = (now, before, pick, seconds) =>
  before && seconds > 0 ? Math.max(0, pick(now) - pick(before)) / seconds : 0;
const ms = (value) => `${formatNumber(value)} ms`;
const percent = (value) => `${formatNumber(value * 100)} %`;
/** Rows (or padded tokens) over all batches: the engine's exact totals. */
const batchTotal = (s, key) => s.engine.metrics[key];

/**
 * Card definitions. `values(now, before, seconds, info)` gives the numbers shown, `[label, text, raw]`
 * (raw is what the chart plots for the first `series.length` values).
 */
export const CARDS = [
  {
    id: 'throughput',
    title: 'Throughput',
    series: ['requests/s', 'documents/s'],
    values: (now, before, seconds) => [
      // One model: its own request count; all models: every rerank request the server answered.
      [
        'requests/s',
        rate(
          now,
          before,
          (s) => (s.view ? s.engine.metrics.total_requests : s.http.rerank_requests),
          seconds,
        ),
      ],
      ['documents/s', rate(now, before, (s) => s.engine.metrics.documents_scored, seconds)],
      ['requests', now.engine.metrics.total_requests, 'total_requests'],
      ['documents', now.engine.metrics.documents_scored, 'documents_scored'],
    ],
  },
  {
    id: 'queue-latency',
    title: 'Queue wait (recent requests)',
    series: ['p50', 'p95', 'p99'],
    values: (now) => [
      ['p50', now.engine.metrics.p50_wait_time_ms, 'p50_wait_time_ms', ms],
      ['p95', now.engine.metrics.p95_wait_time_ms, 'p95_wait_time_ms', ms],
      ['p99', now.engine.metrics.p99_wait_time_ms, 'p99_wait_time_ms', ms],
    ],
  },
  {
    id: 'inference-latency',
    title: 'Inference (recent requests)',
    series: ['p50', 'p95', 'p99'],
    values: (now) => [
      ['p50', now.engine.metrics.p50_process_time_ms, 'p50_process_time_ms', ms],
      ['p95', now.engine.metrics.p95_process_time_ms, 'p95_process_time_ms', ms],
      ['p99', now.engine.metrics.p99_process_time_ms, 'p99_process_time_ms', ms],
    ],
  },
  {
    id: 'queue',
    title: 'Queue and slots',
    series: ['waiting', 'active'],
    limit: (now) => now.engine.controller?.max_parallel,
    values: (now) => {
      const c = now.engine.controller;
      if (!c) {
        const none = () => 'model not loaded';
        return [
          ['waiting', Number.NaN, 'waiting', none],
          ['active', Number.NaN, 'active', none],
        ];
      }
      return [
        ['waiting', c.waiting, 'waiting', (v) => `${v} / ${c.max_queue}`],
        ['active', c.active, 'active', (v) => `${v} / ${c.max_parallel}`],
      ];
    },
  },
  {
    id: 'unavailable',
    title: '503 answers',
    scope: 'server',
    series: ['503/s'],
    values: (now, before, seconds) => [
      ['503/s', rate(now, before, (s) => s.http.unavailable, seconds)],
      ['total 503', now.http.unavailable, 'unavailable'],
      ['5xx', now.http.server_errors, 'server_errors'],
    ],
  },
  {
    id: 'cache',
    title: 'Cache hit ratio',
    series: ['last second'],
    max: 1,
    values: (now, before) => {
      const m = now.engine.metrics;
      const hits = before ? m.cache_hits - before.engine.metrics.cache_hits : 0;
      const misses = before ? m.cache_misses - before.engine.metrics.cache_misses : 0;
      const lookups = hits + misses;
      return [
        ['last second', lookups > 0 ? hits / lookups : 0, undefined, percent],
        ['since start', m.cache_hit_rate, 'cache_hit_rate', percent],
      ];
    },
  },
  {
    id: 'batch-rows',
    title: 'Batch fill: rows',
    series: ['rows/batch'],
    limit: (_now, info) => info?.max_batch_requests ?? undefined,
    values: (now, before, _seconds, info) => {
      const batches = before ? now.engine.metrics.batches - before.engine.metrics.batches : 0;
      const rows = before ? batchTotal(now, 'batch_rows') - batchTotal(before, 'batch_rows') : 0;
      const limit = info?.max_batch_requests;
      return [
        ['rows/batch', batches > 0 ? rows / batches : 0],
        [
          'average',
          now.engine.metrics.avg_rows_per_batch,
          'avg_rows_per_batch',
          limit ? (v) => `${formatNumber(v)} / ${limit}` : undefined,
        ],
        ['batches', now.engine.metrics.batches, 'batches'],
      ];
    },
  },
  {
    id: 'batch-tokens',
    title: 'Batch fill: padded tokens',
    series: ['tokens/batch'],
    limit: (_now, info) => info?.max_batch_tokens ?? undefined,
    values: (now, before, _seconds, info) => {
      const batches = before ? now.engine.metrics.batches - before.engine.metrics.batches : 0;
      const tokens = before ? batchTotal(now, 'batch_tokens') - batchTotal(before, 'batch_tokens') : 0;
      const limit = info?.max_batch_tokens;
      return [
        ['tokens/batch', batches > 0 ? tokens / batches : 0],
        [
          'average',
          now.engine.metrics.avg_tokens_per_batch,
          'avg_tokens_per_batch',
          limit ? (v) => `${formatNumber(v)} / ${limit}` : undefined,
        ],
      ];
    },
  },
  {
    id: 'workers',
    title: 'Worker utilisation',
    scope: 'server',
    series: ['busy'],
    max: 1,
    values: (now, before, seconds) => {
      const w = now.http.workers;
      if (!w) return [['busy', Number.NaN, undefined, () => 'not measured (backends not instrumented)']];
      const busy = before?.http.workers ? (w.busy_ms - before.http.workers.busy_ms) / 1000 : 0;
      return [
        ['busy', seconds > 0 ? Math.min(1, busy / (seconds * w.lanes)) : 0, undefined, percent],
        ['running', w.running, undefined, (v) => `${v} / ${w.lanes}`],
      ];
    },
  },
];

/**
 * Builds a card's markup once; `update` refills its numbers and pushes its chart; `show(model)` says
 * which model the card is about (server-wide cards say so) and starts its chart afresh.
 */
export function createCard(card) {
  const section = document.createElement('section');
  section.className = 'card';
  section.setAttribute('aria-labelledby', `card-${card.id}`);
  const title = document.createElement('h3');
  title.id = `card-${card.id}`;
  title.textContent = card.title;
  const list = document.createElement('dl');
  const chart = new LineChart(card.series, { max: card.max });
  section.append(title, list, chart.svg);
  return {
    section,
    show(model) {
      title.textContent = model && card.scope === 'server' ? `${card.title} (all models)` : card.title;
      for (const s of chart.series) s.values = [];
      chart.draw();
    },
    update(now, before, seconds, info) {
      const values = card.values(now, before, seconds, info);
      chart.limit = card.limit?.(now, info);
      chart.push(values.slice(0, card.series.length).map((v) => v[1]));
      list.replaceChildren(
        ...values.map(([label, value, key, format], i) => {
          const row = document.createElement('div');
          const dt = document.createElement('dt');
          const swatch = document.createElement('span');
          swatch.className = i < card.series.length ? `swatch s${i}` : 'swatch';
          dt.append(swatch, label);
          const dd = document.createElement('dd');
          dd.dataset.testid = `${card.id}:${label}`;
          if (key) dd.dataset.key = key;
          dd.dataset.value = String(value);
          dd.textContent = format ? format(value) : formatNumber(value);
          row.append(dt, dd);
          return row;
        }),
      );
    },
  };
}
