import type { CompareResult, CompareRow } from './compare';

/** The issue's targets for `compare` (minilm-l6, 2 cores). */
export const COMPARE_TARGETS = {
  engineOverRecipe: 1.7,
  engineOverRaw: 0.95,
  serverOverEngine: 0.9,
  healthP99Ms: 50,
  eventLoopP99Ms: 20,
} as const;

export interface CompareRatio {
  label: string;
  value: number;
  /** At least this (`atMost` false) or at most this (`atMost` true); undefined when there is no target. */
  target?: number;
  atMost?: boolean;
}

const row = (r: CompareResult, prefix: string): CompareRow | undefined =>
  r.rows.find((x) => x.name.startsWith(prefix));

/** The ratios and latency targets the issue asks about, from whichever rows the run has. */
export function compareRatios(r: CompareResult): CompareRatio[] {
  const recipe = row(r, 'recipe');
  const raw = row(r, 'raw');
  const on = row(r, 'engine (cache on)');
  const off = row(r, 'engine (cache off)');
  const server = row(r, 'server');
  const out: CompareRatio[] = [];
  const ratio = (label: string, a?: CompareRow, b?: CompareRow, target?: number) => {
    if (a && b) out.push({ label, value: a.docsPerSecond / b.docsPerSecond, target });
  };
  const t = COMPARE_TARGETS;
  ratio('(c) engine, cache on / (a) recipe', on, recipe, t.engineOverRecipe);
  ratio('(c) engine, cache off / (a) recipe', off, recipe);
  ratio('(c) engine, cache on / (b) raw', on, raw, t.engineOverRaw);
  ratio('(c) engine, cache off / (b) raw', off, raw, t.engineOverRaw);
  ratio('(b) raw / (a) recipe', raw, recipe);
  ratio('(d) server / (c) engine, cache on', server, on, t.serverOverEngine);
  if (server?.healthP99Ms !== undefined) {
    out.push({ label: '(d) /health p99 ms', value: server.healthP99Ms, target: t.healthP99Ms, atMost: true });
  }
  if (server) {
    out.push({
      label: '(d) event-loop delay p99 ms (server and clients share the loop)',
      value: server.eventLoopP99Ms,
      target: t.eventLoopP99Ms,
      atMost: true,
    });
  }
  return out;
}

/**
 * With `--batch-sizes`: per contender kind, each size's docs/s against the best fixed size and the
 * default (16), so `auto` can be read against both.
 */
export function batchSizeComparison(r: CompareResult): string[] {
  const sizeOf = (x: CompareRow) => /, batch (auto|\d+)$/.exec(x.name)?.[1];
  const sizes = [...new Set(r.rows.map(sizeOf).filter((x) => x !== undefined))];
  if (sizes.length === 0) return [];
  const find = (kind: string, size: string) =>
    r.rows.find((x) => x.name.startsWith(kind) && sizeOf(x) === size);
  const rate = (kind: string, size: string) => find(kind, size)?.docsPerSecond;
  const bestFixed = (kind: string) =>
    Math.max(...sizes.filter((z) => z !== 'auto').map((z) => rate(kind, z) ?? 0));
  const fmt = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(3) : '');
  const lines = [
    '',
    '| batch size | (c) engine docs/s | / best fixed | / batch 16 | (d) server docs/s | / best fixed | / batch 16 | (d)/(c) | in use after the run (engine; server) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const size of sizes) {
    const [c, d] = [rate('engine (cache on)', size), rate('server', size)];
    const notes = [find('engine (cache on)', size)?.note, find('server', size)?.note].join('; ');
    lines.push(
      `| ${size} | ${c?.toFixed(1) ?? ''} | ${fmt(c, bestFixed('engine (cache on)'))} | ${fmt(c, rate('engine (cache on)', '16'))} | ${d?.toFixed(1) ?? ''} | ${fmt(d, bestFixed('server'))} | ${fmt(d, rate('server', '16'))} | ${fmt(d, c)} | ${notes} |`,
    );
  }
  return lines;
}

const met = (x: CompareRatio) =>
  x.target === undefined ? '' : (x.atMost ? x.value < x.target : x.value >= x.target) ? 'met' : 'missed';

/** The run as markdown: caveat, workload, one row per contender, the ratios against the targets. */
export function compareMarkdown(r: CompareResult): string {
  const { machine: m, workload: w, options: o } = r;
  const f1 = (n: number) => n.toFixed(1);
  const rows = r.rows.map(
    (x) =>
      `| ${x.name} | ${x.requestsDone} | ${f1(x.docsPerSecond)}${x.roundsDocsPerSecond ? ` (rounds ${x.roundsDocsPerSecond.map(f1).join(', ')})` : ''} | ${x.latencyMs.p50.toFixed(0)} | ${x.latencyMs.p95.toFixed(0)} | ${f1(x.eventLoopP99Ms)} | ${x.healthP99Ms === undefined ? '' : f1(x.healthP99Ms)} | ${x.othersShare?.toFixed(2) ?? 'n/a'} | ${x.setup} |`,
  );
  const ratios = compareRatios(r).map(
    (x) =>
      `| ${x.label} | ${x.value.toFixed(x.label.endsWith('ms') ? 1 : 2)} | ${x.target === undefined ? '' : `${x.atMost ? '<' : '≥'} ${x.target}`} | ${met(x)} |`,
  );
  return [
    `## compare: recipe vs raw vs engine vs server (${o.preset})`,
    '',
    `> Synthetic model: real ${o.preset} architecture and cost, RANDOM weights. Scores carry no meaning; speed does.`,
    '',
    `Machine: ${m.cores} cores, ${m.cpuModel}, Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, ${m.os}.`,
    `Workload (seed ${o.seed}): ${w.requests} requests × ${w.docsPerRequest} documents of 32–512 tokens (mean pair ${w.meanPairTokens.toFixed(0)} tokens, pairs cut at 512), ${w.repeats} of them repeat an earlier request exactly. Each contender scores the sequence once after one warm-up request, taking no new request after ${o.maxSeconds} s${o.rounds > 1 ? `; the engine (cache on) and server contenders do so in ${o.rounds} rounds, every other one in reverse order, a fresh contender each time, and their rows sum the rounds` : ''}.`,
    '',
    '| contender | requests done | docs/s | p50 ms/request | p95 ms/request | event loop p99 ms | /health p99 ms | others cpu | setup |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    '| ratio | value | target | |',
    '| --- | ---: | ---: | --- |',
    ...ratios,
    ...batchSizeComparison(r),
    '',
    ...r.failures.map((x) => `**${x.name} failed:** ${x.error}`),
    ...(r.failures.length > 0 ? [''] : []),
    `Run took ${r.durationSeconds.toFixed(0)} s; 1-minute load average ${r.loadAverage.before.toFixed(2)} before, ${r.loadAverage.after.toFixed(2)} after. "others cpu" above 0.03 means other processes competed for the cores (noisy).`,
    '',
  ].join('\n');
}
