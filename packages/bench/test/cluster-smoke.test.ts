// Runs `cluster` for real: one server on the tiny synthesized model (random weights) behind nginx, on
// the shared Redis, for 2 s. Checks the shape of the output and the cleanup, never the figures.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClusterResult } from '../src/cluster';
import { benchCli, run, suiteTempDir } from './bench-cli';

const TIMEOUT = 90_000;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('cluster on the tiny preset', () => {
  const dir = suiteTempDir('bench-cluster-');

  it('measures one server behind nginx, finds cache hits on repeats, and cleans up', async () => {
    const json = join(await dir, 'cluster.json');
    const args = ['cluster', '--preset', 'tiny', '--servers', '1', '--duration-s', '2', '--concurrency', '4'];
    const cli = await benchCli([...args, '--repeat-share', '0.5', '--json', json], TIMEOUT);
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.code).toBe(0);
    const result = JSON.parse(await readFile(json, 'utf8')) as ClusterResult;
    expect(result).toMatchObject({
      benchmark: 'cluster',
      model: 'tiny',
      synthesized: true,
      docsPerSecondRatio: null,
    });
    expect(result.command).toContain('bench cluster --preset tiny --servers 1');
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.rows).toHaveLength(1);
    const [row] = result.rows;
    expect(row!.servers).toBe(1);
    expect(row!.summary.total).toBeGreaterThan(0);
    expect(row!.summary.ok).toBe(row!.summary.total);
    expect(row!.repeats).toBeGreaterThan(0);
    expect(row!.cacheHitRatio).toBeGreaterThan(0);
    expect(row!.cacheHitRatio).toBeLessThan(1);
    expect(row!.perServer).toHaveLength(1);
    expect(row!.perServer[0]!.pairsComputed).toBeGreaterThan(0);
    // Every successful request reached the one server and was counted by the cluster view.
    expect(row!.perServer[0]!.requests).toBe(row!.summary.ok);
    expect(row!.cluster).toMatchObject({ servers: 1, requests: row!.summary.ok, errors: 0 });
    expect(row!.cluster.latency_ms.p95).toBeGreaterThan(0);
    expect(cli.stdout).toMatch(
      /^\| 1 \| [\d.]+ \| [\d.]+ \| [\d.]+ ms \| [\d.]+ ms \| [\d.]+ ms \| 0 \| 0\.\d{3} \| \d+ \| [\d.]+ ms \|$/m,
    );
    expect(cli.stdout).toContain('RANDOM weights');

    // Cleanup: the server is gone and the run's Redis keys are deleted.
    expect(alive(row!.perServer[0]!.pid)).toBe(false);
    const keys = await run('redis-cli', ['--scan', '--pattern', `${row!.redisPrefix}*`], TIMEOUT);
    expect(keys.code).toBe(0);
    expect(keys.stdout.trim()).toBe('');
  });
});
