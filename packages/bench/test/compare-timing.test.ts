import { describe, expect, it } from 'vitest';
import type { CompareRow } from '../src/compare';
import { mergeRounds, type TimedPhase } from '../src/compare-timing';

function phase(
  name: string,
  docs: number,
  seconds: number,
  latencies: number[],
  extra: Partial<CompareRow> = {},
) {
  const row: CompareRow = {
    name,
    setup: `setup of ${name}`,
    concurrency: 1,
    requestsDone: latencies.length,
    docsPerSecond: docs / seconds,
    seconds,
    latencyMs: { p50: 0, p95: 0, max: Math.max(...latencies) },
    eventLoopP99Ms: seconds, // distinct per phase, to see which one is kept
    cpuShare: 1,
    othersShare: docs / 1000,
    ...extra,
  };
  return { row, latencies, health: [], docs } satisfies TimedPhase;
}

describe('mergeRounds (compare --rounds)', () => {
  it('sums a contender over its rounds: docs/s over all of them, pooled latencies, time-weighed cpu', () => {
    const rows = mergeRounds([
      phase('engine, batch 4', 100, 4, [10, 20, 30], { note: 'batch size 4' }),
      phase('server, batch 4', 50, 1, [5]),
      phase('server, batch 4', 50, 4, [7]),
      phase('engine, batch 4', 300, 6, [40, 50, 60, 70, 80, 90], { note: 'batch size 4' }),
      phase('engine, batch auto', 10, 1, [1], { note: 'batch size 8 (auto)' }),
      phase('engine, batch auto', 10, 1, [1], { note: 'batch size 4 (auto)' }),
    ]);
    expect(rows.map((r) => r.name)).toEqual(['engine, batch 4', 'server, batch 4', 'engine, batch auto']);
    expect(rows[2]!.note).toBe('batch size 8 (auto); then batch size 4 (auto)');
    const [engine, server] = rows;
    expect(engine).toMatchObject({
      requestsDone: 9,
      seconds: 10,
      docsPerSecond: 40, // 400 docs in 10 s, not the mean of 25 and 50 docs/s
      roundsDocsPerSecond: [25, 50],
      eventLoopP99Ms: 6,
      note: 'batch size 4',
    });
    expect(engine!.latencyMs.max).toBe(90);
    expect(engine!.othersShare).toBeCloseTo((0.1 * 4 + 0.3 * 6) / 10);
    expect(server).toMatchObject({ docsPerSecond: 20, roundsDocsPerSecond: [50, 12.5] });
  });

  it('leaves a contender run once as it was', () => {
    const once = phase('raw', 10, 2, [1, 2]);
    expect(mergeRounds([once])).toEqual([once.row]);
  });
});
