// The counters `reranker-bench cluster` reads from the servers: each one's /metrics and Prometheus
// batch rows, and the cluster-wide /metrics/cluster.
import type { ClusterMetrics } from '@reranker/node';
import { poll, type ServerProcess } from '@reranker/testkit/processes';

/** One server's lifetime counters. */
export interface Counters {
  /** Pairs the model ran on (sum of reranker_batch_rows): cached and borrowed pairs cost none. */
  pairsComputed: number;
  cacheHits: number;
  cacheMisses: number;
  /** Rerank requests. */
  requests: number;
}

/** One server's lifetime counters: JSON /metrics (cache, requests) and the Prometheus batch rows. */
export async function serverCounters(server: ServerProcess): Promise<Counters> {
  const json = (await (await fetch(`${server.url}/metrics`)).json()) as {
    metrics: { cache_hits: number; cache_misses: number; total_requests: number };
  };
  const text = await (await fetch(`${server.url}/metrics/prometheus`)).text();
  // One series per served model (`model` label): the server's pairs are their sum.
  const rows = [...text.matchAll(/^reranker_batch_rows_sum(?:\{[^}]*\})? (\S+)$/gm)].map((m) => Number(m[1]));
  if (rows.length === 0) throw new Error(`no reranker_batch_rows_sum in ${server.url}/metrics/prometheus`);
  return {
    pairsComputed: rows.reduce((a, b) => a + b, 0),
    cacheHits: json.metrics.cache_hits,
    cacheMisses: json.metrics.cache_misses,
    requests: json.metrics.total_requests,
  };
}

/** /metrics/cluster once every server's heartbeat has published the run's requests (a few seconds). */
export async function clusterMetrics(base: string, ok: number): Promise<ClusterMetrics> {
  let last: ClusterMetrics | undefined;
  try {
    return await poll(
      async () => {
        const response = await fetch(`${base}/metrics/cluster`);
        if (response.status !== 200) return undefined;
        last = (await response.json()) as ClusterMetrics;
        return last.requests >= ok ? last : undefined;
      },
      '/metrics/cluster to count every successful request',
      10_000,
    );
  } catch (error) {
    if (last) return last; // a server that died with its counts is never complete
    throw error;
  }
}
