import { seededRandom } from '@reranker/testkit';
import { describe, expect, it } from 'vitest';
import {
  aggregateCluster,
  bucketOf,
  LATENCY_BOUNDS_MS,
  mergeHistograms,
  percentile,
  RequestTotals,
  type ServerTotals,
} from '../src/redis/cluster-metrics';

/** A server's published totals after answering every latency in `samples` with a 200. */
function serverWith(samples: readonly number[]): ServerTotals {
  const totals = new RequestTotals();
  for (const ms of samples) totals.recordRequest(200, ms);
  return totals.snapshot();
}

/** The exact q-quantile of raw data: the ceil(q·n)-th smallest sample. */
function exactQuantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** The bounds of the bucket `ms` falls in. */
function bucketBounds(ms: number): [number, number] {
  const index = bucketOf(ms);
  return [index === 0 ? 0 : LATENCY_BOUNDS_MS[index - 1]!, LATENCY_BOUNDS_MS[index]!];
}

describe('latency histograms', () => {
  it('puts a latency in the first bucket whose upper bound holds it', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(0.5)).toBe(0);
    expect(bucketOf(0.5000001)).toBe(1);
    expect(bucketOf(LATENCY_BOUNDS_MS[10]!)).toBe(10);
    expect(bucketOf(1e9)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it('percentiles of two merged servers match the combined raw data within one bucket', () => {
    const random = seededRandom(7);
    const fast = Array.from({ length: 900 }, () => 8 + random() * 20);
    const slow = Array.from({ length: 150 }, () => 150 + random() * 400);
    const merged = mergeHistograms([serverWith(fast).latency_ms, serverWith(slow).latency_ms]);
    expect(merged.reduce((a, b) => a + b, 0)).toBe(1050);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = exactQuantile([...fast, ...slow], q);
      const [lower, upper] = bucketBounds(exact);
      const estimate = percentile(merged, q)!;
      expect(estimate).toBeGreaterThanOrEqual(lower);
      expect(estimate).toBeLessThanOrEqual(upper);
    }
  });

  it('the cluster p95 is not the mean of the servers p95s', () => {
    // A busy fast server and an almost idle slow one: the slow one barely moves the cluster's p95.
    const busy = serverWith(Array.from({ length: 1000 }, (_, i) => 10 + (i % 10) / 10));
    const idle = serverWith(Array.from({ length: 10 }, () => 1000));
    const cluster = aggregateCluster([
      { id: 'a', metrics: busy },
      { id: 'b', metrics: idle },
    ]);
    const [a, b] = cluster.per_server;
    const meanOfP95s = (a!.latency_ms.p95! + b!.latency_ms.p95!) / 2;
    expect(meanOfP95s).toBeGreaterThan(400);
    const [lower, upper] = bucketBounds(
      exactQuantile([...Array(1000).fill(10.5), ...Array(10).fill(1000)], 0.95),
    );
    expect(cluster.latency_ms.p95).toBeGreaterThanOrEqual(lower);
    expect(cluster.latency_ms.p95).toBeLessThanOrEqual(upper);
    expect(cluster.latency_ms.p95).toBeLessThan(12);
  });

  it('adds up counts, skips servers that published nothing, and is null without data', () => {
    const one = new RequestTotals();
    one.recordRequest(200, 12);
    one.recordRequest(503, 1);
    one.recordRequest(422, 2);
    one.recordDocuments(7);
    const two = new RequestTotals();
    two.recordRequest(500, 30);
    two.recordDocuments(3);
    const cluster = aggregateCluster([
      { id: 'a', host: '10.0.0.1', port: 8001, metrics: one.snapshot() },
      { id: 'b', host: '10.0.0.2', port: 8002, metrics: two.snapshot() },
      { id: 'c', host: '10.0.0.3', port: 8003 },
    ]);
    expect(cluster).toMatchObject({ servers: 3, requests: 4, errors: 2, documents: 10 });
    // Only the 200 counts towards latency: its bucket holds 12 ms.
    const [lower, upper] = bucketBounds(12);
    expect(cluster.latency_ms.p50).toBeGreaterThanOrEqual(lower);
    expect(cluster.latency_ms.p99).toBeLessThanOrEqual(upper);
    expect(cluster.per_server.map((s) => [s.id, s.port, s.requests])).toEqual([
      ['a', 8001, 3],
      ['b', 8002, 1],
    ]);
    expect(cluster.per_server[1]!.latency_ms).toEqual({ p50: null, p95: null, p99: null });
    expect(aggregateCluster([]).latency_ms).toEqual({ p50: null, p95: null, p99: null });
  });

  it('leaves out a histogram of another bucket layout', () => {
    const good = serverWith([5]).latency_ms;
    expect(mergeHistograms([good, [1, 2, 3]])).toEqual(good);
  });
});

describe('desired_servers', () => {
  const servers = (...loads: Array<[number, number, number?]>) =>
    loads.map(([active, waiting, max_parallel], i) => ({
      id: `s${i}`,
      load: max_parallel === undefined ? { active, waiting } : { active, waiting, max_parallel },
    }));

  it('sizes the cluster for its requests in flight at the target utilisation', () => {
    // 4 + 3 + 2 + 0 = 9 in flight; 4 slots each at 0.7 is 2.8 per server: 9 / 2.8 = 3.21 -> 4.
    const cluster = aggregateCluster(servers([4, 3, 4], [2, 0, 4], [0, 0, 4]), 0.7);
    expect(cluster.scaling).toEqual({ in_flight: 9, capacity_per_server: 4, target_utilization: 0.7 });
    expect(cluster.desired_servers).toBe(4);
    // At 0.5: 9 / 2 = 4.5 -> 5; at 1: 9 / 4 = 2.25 -> 3.
    expect(aggregateCluster(servers([4, 3, 4], [2, 0, 4], [0, 0, 4]), 0.5).desired_servers).toBe(5);
    expect(aggregateCluster(servers([4, 3, 4], [2, 0, 4], [0, 0, 4]), 1).desired_servers).toBe(3);
  });

  it('an exact multiple needs no extra server, despite float error', () => {
    // 21 / (2 × 0.7) is 15 exactly, but 15.000000000000002 in floats: still 15, not 16.
    expect(21 / (2 * 0.7)).toBeGreaterThan(15);
    expect(aggregateCluster(servers([2, 19, 2]), 0.7).desired_servers).toBe(15);
    // 14 / (4 × 0.7) = 5.
    expect(aggregateCluster(servers([4, 4, 4], [4, 2, 4]), 0.7).desired_servers).toBe(5);
  });

  it('uses the mean capacity of the servers that publish it, and keeps at least one server', () => {
    // Slots 4 and 8: 6 per server; 12 in flight at 1.0 -> 2.
    expect(aggregateCluster(servers([8, 0, 8], [4, 0, 4]), 1).desired_servers).toBe(2);
    // An older server without max_parallel still counts its load.
    const mixed = aggregateCluster(servers([2, 0, 2], [3, 3]), 1);
    expect(mixed.scaling).toEqual({ in_flight: 8, capacity_per_server: 2, target_utilization: 1 });
    expect(mixed.desired_servers).toBe(4);
    expect(aggregateCluster(servers([0, 0, 4], [0, 0, 4]), 0.7).desired_servers).toBe(1);
  });

  it('is null when no server publishes its capacity', () => {
    const cluster = aggregateCluster(servers([3, 1], [0, 0]));
    expect(cluster.desired_servers).toBeNull();
    expect(cluster.scaling).toEqual({ in_flight: 4, capacity_per_server: null, target_utilization: 0.7 });
    expect(aggregateCluster([]).desired_servers).toBeNull();
  });
});
