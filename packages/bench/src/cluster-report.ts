// The result of `reranker-bench cluster` as markdown: one row per server count, then the ratio.
import type { ClusterResult, ClusterRow } from './cluster';
import { errorCounts } from './load-report';

const ms = (value: number | null | undefined) => (value == null ? 'n/a' : `${value.toFixed(1)} ms`);

function failures(row: ClusterRow): string {
  const counts = Object.entries(errorCounts(row.summary)).map(([status, n]) => `${status}×${n}`);
  return counts.join(', ') || '0';
}

function tableRow(row: ClusterRow): string {
  const s = row.summary;
  const ratio = row.cacheHitRatio === null ? 'n/a' : row.cacheHitRatio.toFixed(3);
  const pairs = row.perServer.map((server) => server.pairsComputed).join(' / ');
  return `| ${row.servers} | ${row.requestsPerSecond.toFixed(2)} | ${row.docsPerSecond.toFixed(1)} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${failures(row)} | ${ratio} | ${pairs} | ${ms(row.cluster.latency_ms.p95)} |`;
}

export function clusterMarkdown(r: ClusterResult): string {
  const { options: o, machine: m } = r;
  const model = r.synthesized
    ? `synthesized \`${r.model}\` (real architecture and cost, RANDOM weights: scores carry no meaning, speed does)`
    : `\`${r.model}\``;
  const threads = r.rows.map((row) => `${row.threadsPerServer} with ${row.servers} server(s)`).join(', ');
  const ratio =
    r.docsPerSecondRatio === null
      ? []
      : [
          `docs/s of ${Math.max(...o.servers)} server(s) / ${Math.min(...o.servers)}: **${r.docsPerSecondRatio.toFixed(2)}** ` +
            `(every server shares the same ${m.cores} cores, so more servers add no compute here: the point is correctness, a shared cache and failover).`,
          '',
        ];
  return [
    `## cluster: ${o.servers.join(' vs ')} server(s) behind nginx, one Redis`,
    '',
    `Model: ${model}.`,
    `Machine: ${m.cores} cores, ${m.cpuModel} (${m.simd.join(' ') || 'no AVX2'}), Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, ${m.os}.`,
    `Each server: ENABLE_DISTRIBUTED=true on its own Redis key prefix per run, 1 inference worker (INFERENCE_WORKERS=1) of INFERENCE_THREADS = max(1, floor(cores / servers)): ${threads}; ` +
      `nginx runs the shipped deploy/nginx.conf with the upstream set to the servers (one server too, so both runs take the same path).`,
    `Workload: ${o.concurrency} clients for ${o.durationS} s each, ${o.docs} documents of ~${o.docWords} words per request, ` +
      `${Math.round(o.repeatShare * 100)}% of requests repeat an earlier request exactly (seed ${o.seed}). ` +
      'Requests/s and docs/s count successful requests; latency percentiles are of successful requests, seen by the client; ' +
      'cache hit ratio is hits / (hits + misses) over the run, summed over the servers; pairs computed are the rows each server ran through the model.',
    '',
    '| servers | requests/s | docs/s | p50 | p95 | p99 | failures | cache hit ratio | pairs computed per server | cluster p95 (/metrics/cluster) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |',
    ...r.rows.map(tableRow),
    '',
    ...ratio,
    ...r.rows.flatMap((row) => row.failures.map((f) => `- ${row.servers} server(s), failure: ${f}`)),
    ...(r.rows.some((row) => row.failures.length > 0) ? [''] : []),
  ].join('\n');
}
