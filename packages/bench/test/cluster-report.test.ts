import { describe, expect, it } from 'vitest';
import type { ClusterResult, ClusterRow } from '../src/cluster';
import { clusterMarkdown } from '../src/cluster-report';
import { summarize } from '../src/rerank-requests';
import { FAKE_MACHINE } from './fake-table';

const outcome = (ms: number, status = 200) => ({ status, ok: status === 200, ms, retryAfter: false });

function row(servers: number, docsPerSecond: number, extra: Partial<ClusterRow> = {}): ClusterRow {
  const latency = { p50: 100, p95: 200.25, p99: 300 };
  return {
    servers,
    redisPrefix: `p${servers}:`,
    threadsPerServer: servers === 1 ? 2 : 1,
    seconds: 10,
    summary: summarize([outcome(100), outcome(200), outcome(300)]),
    repeats: 1,
    requestsPerSecond: docsPerSecond / 20,
    docsPerSecond,
    cacheHitRatio: 0.4567,
    perServer: Array.from({ length: servers }, (_, i) => ({
      pid: 100 + i,
      port: 9000 + i,
      pairsComputed: 10 * (i + 1),
      cacheHits: 1,
      cacheMisses: 1,
      requests: 1,
    })),
    cluster: {
      servers,
      desired_servers: 1,
      scaling: { in_flight: 0, capacity_per_server: 4, target_utilization: 0.7 },
      requests: 3,
      errors: 0,
      documents: 60,
      latency_ms: latency,
      per_server: [],
    },
    failures: [],
    ...extra,
  };
}

function result(rows: ClusterRow[], ratio: number | null): ClusterResult {
  return {
    benchmark: 'cluster',
    startedAt: '2026-01-01T00:00:00.000Z',
    command: 'pnpm -s bench cluster',
    machine: FAKE_MACHINE,
    model: 'minilm-l6',
    synthesized: true,
    options: {
      servers: rows.map((r) => r.servers),
      preset: 'minilm-l6',
      durationS: 10,
      concurrency: 8,
      docs: 20,
      docWords: 40,
      repeatShare: 0.5,
      seed: 42,
      redisUrl: 'redis://127.0.0.1:6379',
    },
    rows,
    docsPerSecondRatio: ratio,
  };
}

describe('cluster report', () => {
  it('renders one row per server count with the columns the issue asks for, and the ratio', () => {
    const failed = summarize([outcome(100), outcome(5, 503), outcome(5, 0), outcome(5, 500)]);
    const text = clusterMarkdown(
      result(
        [row(1, 400), row(3, 380, { summary: failed, cacheHitRatio: null, failures: ['HTTP 500: boom'] })],
        0.95,
      ),
    );
    const lines = text.split('\n');
    const header = lines.find((line) => line.startsWith('| servers'))!;
    expect(
      header
        .split('|')
        .map((c) => c.trim())
        .filter(Boolean),
    ).toEqual([
      'servers',
      'requests/s',
      'docs/s',
      'p50',
      'p95',
      'p99',
      'failures',
      'cache hit ratio',
      'pairs computed per server',
      'cluster p95 (/metrics/cluster)',
    ]);
    expect(lines).toContain(
      '| 1 | 20.00 | 400.0 | 200.0 ms | 290.0 ms | 298.0 ms | 0 | 0.457 | 10 | 200.3 ms |',
    );
    expect(lines).toContain(
      '| 3 | 19.00 | 380.0 | 100.0 ms | 100.0 ms | 100.0 ms | 500×1, 503×1, network×1 | n/a | 10 / 20 / 30 | 200.3 ms |',
    );
    expect(text).toContain('docs/s of 3 server(s) / 1: **0.95**');
    expect(text).toContain('RANDOM weights');
    expect(text).toContain('- 3 server(s), failure: HTTP 500: boom');
  });

  it('leaves the ratio out with one server count and names a model folder as given', () => {
    const text = clusterMarkdown({ ...result([row(1, 400)], null), model: '/models/x', synthesized: false });
    expect(text).not.toContain('docs/s of');
    expect(text).toContain('Model: `/models/x`.');
    expect(text).not.toContain('RANDOM weights');
  });
});
