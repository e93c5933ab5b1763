import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CompareRow } from './compare';
import type { CompareContender } from './compare-contenders';
import type { MixedRequest } from './compare-workload';
import { measureCpu } from './cpu';
import { percentile } from './stats';

/** One timed run of one contender: its row and what merging rounds needs beyond it. */
export interface TimedPhase {
  row: CompareRow;
  latencies: number[];
  health: number[];
  docs: number;
}

/** Runs every request through the contender, `concurrency` at a time, in workload order. */
export async function timeContender(
  contender: CompareContender,
  requests: MixedRequest[],
  progress: { tick(label: string): void },
  maxSeconds: number,
): Promise<TimedPhase> {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const latencies: number[] = [];
  let next = 0;
  let running = true;
  const health: number[] = [];
  const sampleHealth = async (url: string) => {
    while (running) {
      const start = performance.now();
      const response = await fetch(url);
      await response.arrayBuffer();
      if (running) health.push(performance.now() - start);
      await sleep(100);
    }
  };
  loop.enable();
  const cpu = measureCpu();
  const start = performance.now();
  const sampler = contender.healthUrl ? sampleHealth(contender.healthUrl) : Promise.resolve();
  const deadline = start + maxSeconds * 1000;
  let docs = 0;
  const client = async () => {
    while (next < requests.length && performance.now() < deadline) {
      const request = requests[next++]!;
      const requestStart = performance.now();
      await contender.score(request);
      latencies.push(performance.now() - requestStart);
      docs += request.documents.length;
      progress.tick(contender.name);
    }
  };
  try {
    await Promise.all(Array.from({ length: contender.concurrency }, client));
  } finally {
    running = false;
  }
  const seconds = (performance.now() - start) / 1000;
  const use = cpu();
  loop.disable();
  await sampler;
  const row: CompareRow = {
    name: contender.name,
    setup: contender.setup,
    concurrency: contender.concurrency,
    requestsDone: latencies.length,
    docsPerSecond: docs / seconds,
    seconds,
    latencyMs: latencySummary(latencies),
    eventLoopP99Ms: loop.percentile(99) / 1e6,
    ...(contender.healthUrl ? { healthP99Ms: percentile(health, 99), healthSamples: health.length } : {}),
    ...use,
  };
  return { row, latencies, health, docs };
}

const latencySummary = (latencies: number[]) => ({
  p50: percentile(latencies, 50),
  p95: percentile(latencies, 95),
  max: Math.max(...latencies),
});

/**
 * One row per contender name, in the order each first ran: a contender run in several rounds sums its
 * documents and seconds (docs/s over all rounds), pools its latencies and `/health` samples, keeps the
 * worst event-loop p99, weighs CPU shares by time and lists each round's docs/s and distinct notes
 * (joined by "; then ", not "|": they end up in a markdown table cell).
 */
export function mergeRounds(phases: TimedPhase[]): CompareRow[] {
  const byName = new Map<string, TimedPhase[]>();
  for (const phase of phases) byName.set(phase.row.name, [...(byName.get(phase.row.name) ?? []), phase]);
  return [...byName.values()].map((runs) => {
    if (runs.length === 1) return runs[0]!.row;
    const rows = runs.map((r) => r.row);
    const seconds = rows.reduce((sum, r) => sum + r.seconds, 0);
    const weighed = (share: (r: CompareRow) => number | undefined) =>
      rows.some((r) => share(r) === undefined)
        ? undefined
        : rows.reduce((sum, r) => sum + share(r)! * r.seconds, 0) / seconds;
    const latencies = runs.flatMap((r) => r.latencies);
    const health = runs.flatMap((r) => r.health);
    const notes = [...new Set(rows.map((r) => r.note).filter((n) => n !== undefined))];
    return {
      ...rows[0]!,
      requestsDone: rows.reduce((sum, r) => sum + r.requestsDone, 0),
      docsPerSecond: runs.reduce((sum, r) => sum + r.docs, 0) / seconds,
      seconds,
      latencyMs: latencySummary(latencies),
      eventLoopP99Ms: Math.max(...rows.map((r) => r.eventLoopP99Ms)),
      ...(rows[0]!.healthP99Ms !== undefined && {
        healthP99Ms: percentile(health, 99),
        healthSamples: health.length,
      }),
      cpuShare: weighed((r) => r.cpuShare)!,
      othersShare: weighed((r) => r.othersShare),
      ...(notes.length > 0 && { note: notes.join('; then ') }),
      roundsDocsPerSecond: rows.map((r) => r.docsPerSecond),
    };
  });
}
