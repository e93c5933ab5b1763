// `reranker-bench cluster`: N real servers sharing a Redis namespace behind the shipped nginx config,
// driven for a fixed time with a workload that repeats some requests exactly, for each N in turn.
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { RerankerError } from '@reranker/core';
import { type ClusterMetrics, CONFIG_VARIABLES } from '@reranker/node';
import { SERVER_VARIABLES } from '@reranker/server';
import type { PresetName } from '@reranker/testkit';
import {
  deletePrefix,
  redisPing,
  type ServerProcess,
  startNginx,
  startServerProcess,
} from '@reranker/testkit/processes';
import { threadsPerServer } from './cluster-args';
import { type Counters, clusterMetrics, serverCounters } from './cluster-counters';
import { clusterWorkload } from './cluster-workload';
import { engineModelDir } from './engine-model';
import { type MachineInfo, machineInfo } from './machine';
import { createProgress } from './progress';
import { type Outcome, postRerank, type Summary, summarize } from './rerank-requests';

export interface ClusterOptions {
  /** Server counts to measure, one run each, in order. @default [1, 3] */
  servers: number[];
  /** Synthesized preset (random weights), unless `model` is given. @default 'minilm-l6' */
  preset: PresetName;
  /** A local model folder instead of the preset. */
  model?: string;
  /** Seconds of load per server count. @default 30 */
  durationS: number;
  /** Clients sending back to back. @default 8 */
  concurrency: number;
  /** Documents per request. @default 20 */
  docs: number;
  /** Words per document. @default 40 */
  docWords: number;
  /** Share of requests that repeat an earlier request exactly. @default 0.5 */
  repeatShare: number;
  /** Seed of the workload (the same for every server count). @default 42 */
  seed: number;
  /** Redis the servers share; each run gets its own key prefix, deleted afterwards. @default 'redis://127.0.0.1:6379' */
  redisUrl: string;
}

/** What one server did during the timed load (differences of its counters). */
export interface ServerShare extends Counters {
  pid: number;
  port: number;
}

export interface ClusterRow {
  servers: number;
  /** The run's private Redis key prefix (deleted when it ends). */
  redisPrefix: string;
  threadsPerServer: number;
  seconds: number;
  summary: Summary;
  /** Requests sent as exact repeats of earlier ones. */
  repeats: number;
  requestsPerSecond: number;
  docsPerSecond: number;
  /** hits / (hits + misses) summed over the servers; null without lookups. */
  cacheHitRatio: number | null;
  perServer: ServerShare[];
  /** GET /metrics/cluster after the run (through nginx); its p95 comes from the merged histograms. */
  cluster: ClusterMetrics;
  /** The first few failures. */
  failures: string[];
}

export interface ClusterResult {
  benchmark: 'cluster';
  startedAt: string;
  /** The command line, to rerun it. */
  command: string;
  machine: MachineInfo;
  /** Preset name (synthesized, random weights) or model folder. */
  model: string;
  synthesized: boolean;
  options: ClusterOptions;
  rows: ClusterRow[];
  /** docs/s of the largest server count over that of the smallest; null with one count. */
  docsPerSecondRatio: number | null;
}

// Every variable the server reads is ours: the caller's shell must not change what is measured.
const SCRUBBED = [...SERVER_VARIABLES, ...CONFIG_VARIABLES].map((spec) => spec.variable);

/** One server bin; info level for its "listening on" line, and a long run logs every request: keep the tail. */
function startServer(env: Record<string, string>): Promise<ServerProcess> {
  return startServerProcess({ env: { LOG_LEVEL: 'info', ...env }, scrub: SCRUBBED, keepLogChars: 100_000 });
}

/** Every server count in turn; everything started is stopped (and the keys deleted) even on failure. */
export async function runCluster(
  o: ClusterOptions,
  log: (line: string) => void,
  command = process.argv.join(' '),
): Promise<ClusterResult> {
  if (!(await redisPing(o.redisUrl))) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `no Redis answers PING at ${o.redisUrl} (redis-cli is needed too)`,
    );
  }
  if (o.model !== undefined && !statSync(o.model, { throwIfNoEntry: false })?.isDirectory()) {
    throw new RerankerError('INVALID_CONFIG', `--model ${o.model} is not a model folder`);
  }
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const modelDir = o.model ?? (await engineModelDir(o.preset));
  const rows: ClusterRow[] = [];
  for (const servers of o.servers) rows.push(await measure(o, servers, modelDir, machine.cores, log));
  const bySize = [...rows].sort((a, b) => a.servers - b.servers);
  const ratio = rows.length > 1 ? bySize.at(-1)!.docsPerSecond / bySize[0]!.docsPerSecond : null;
  return {
    benchmark: 'cluster',
    startedAt,
    command,
    machine,
    model: o.model ?? o.preset,
    synthesized: o.model === undefined,
    options: o,
    rows,
    docsPerSecondRatio: ratio,
  };
}

async function measure(
  o: ClusterOptions,
  count: number,
  modelDir: string,
  cores: number,
  log: (line: string) => void,
): Promise<ClusterRow> {
  const prefix = `reranker-bench-cluster:${randomUUID()}:`;
  const threads = threadsPerServer(cores, count);
  const started: { stop(): Promise<void> }[] = [];
  let stopping: Promise<unknown> | undefined;
  const cleanup = () => {
    stopping ??= Promise.allSettled(started.reverse().map((p) => p.stop())).then(() =>
      deletePrefix(o.redisUrl, prefix),
    );
    return stopping;
  };
  // Ctrl-C mid-run still stops the servers and nginx and deletes the keys.
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`${count} server(s), 1 worker x ${threads} thread(s) each, Redis prefix ${prefix} — starting`);
    const env = {
      RERANKER_MODEL: modelDir,
      ENABLE_DISTRIBUTED: 'true',
      REDIS_URL: o.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      INFERENCE_WORKERS: '1',
      INFERENCE_THREADS: String(threads),
    };
    const results = await Promise.allSettled(Array.from({ length: count }, () => startServer(env)));
    const servers: ServerProcess[] = [];
    for (const r of results) {
      if (r.status === 'fulfilled') servers.push(r.value);
    }
    started.push(...servers);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const nginx = await startNginx(servers.map((s) => s.port));
    started.push(nginx);
    const before = await Promise.all(servers.map(serverCounters));
    const load = await drive(o, new URL('/rerank', nginx.url), count);
    const after = await Promise.all(servers.map(serverCounters));
    const cluster = await clusterMetrics(nginx.url, load.outcomes.filter((x) => x.ok).length);
    return { ...row(o, count, threads, load, servers, before, after, cluster), redisPrefix: prefix };
  } finally {
    await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

interface Load {
  outcomes: Outcome[];
  repeats: number;
  seconds: number;
}

/** `concurrency` clients sending back to back until `durationS` is over (requests in flight finish). */
async function drive(o: ClusterOptions, target: URL, count: number): Promise<Load> {
  const next = clusterWorkload(o);
  const outcomes: Outcome[] = [];
  let repeats = 0;
  const progress = createProgress(o.durationS, undefined, 's');
  const phase = () => `${count} server(s): ${outcomes.length} requests`;
  const ticker = setInterval(() => progress.tick(phase()), 1000);
  const started = performance.now();
  const deadline = started + o.durationS * 1000;
  const client = async (id: number) => {
    for (let i = 0; performance.now() < deadline; i++) {
      const { repeat, ...body } = next();
      if (repeat) repeats++;
      const headers = { 'x-request-id': `bench-cluster-${count}-${id}-${i}` };
      outcomes.push(await postRerank(target, body, headers, 130_000));
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, id) => client(id)));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(ticker);
  progress.phaseDone(phase(), `${summarize(outcomes).ok} ok in ${seconds.toFixed(1)} s`);
  progress.stop();
  return { outcomes, repeats, seconds };
}

function row(
  o: ClusterOptions,
  servers: number,
  threads: number,
  load: Load,
  processes: ServerProcess[],
  before: Counters[],
  after: Counters[],
  cluster: ClusterMetrics,
): Omit<ClusterRow, 'redisPrefix'> {
  const perServer = processes.map((server, i) => ({
    pid: server.pid,
    port: server.port,
    pairsComputed: after[i]!.pairsComputed - before[i]!.pairsComputed,
    cacheHits: after[i]!.cacheHits - before[i]!.cacheHits,
    cacheMisses: after[i]!.cacheMisses - before[i]!.cacheMisses,
    requests: after[i]!.requests - before[i]!.requests,
  }));
  const hits = perServer.reduce((sum, s) => sum + s.cacheHits, 0);
  const lookups = hits + perServer.reduce((sum, s) => sum + s.cacheMisses, 0);
  const summary = summarize(load.outcomes);
  return {
    servers,
    threadsPerServer: threads,
    seconds: load.seconds,
    summary,
    repeats: load.repeats,
    requestsPerSecond: summary.ok / load.seconds,
    docsPerSecond: (summary.ok * o.docs) / load.seconds,
    cacheHitRatio: lookups === 0 ? null : hits / lookups,
    perServer,
    cluster,
    failures: load.outcomes.flatMap((x) => (x.error ? [x.error] : [])).slice(0, 5),
  };
}
