// Load generator of `reranker-bench load` and scripts/performance_test.sh: native POST /rerank requests
// against a running server with a bounded number in flight.
import { RerankerError } from '@reranker/core';
import { seededRandom } from '@reranker/testkit';
import { type ModelLoad, type ModelWeight, mixSchedule, perModel } from './load-models';
import { type Outcome, postRerank, type Summary, summarize } from './rerank-requests';
import { makePassage, makeQuery } from './text';

/** The modes of the original performance_test.sh. */
export const LOAD_MODES = ['load', 'latency', 'throughput', 'stress'] as const;
export type LoadMode = (typeof LOAD_MODES)[number];

export interface LoadOptions {
  /** Base URL of the server; loopback only unless `allowRemote`. @default 'http://127.0.0.1:8080' */
  url: string;
  /** `load`: N requests, C in flight; `latency`: one at a time; `throughput`: as load, ~200-word documents; `stress`: concurrency 1, 2, 4, … C, 503s counted apart. @default 'load' */
  mode: LoadMode;
  /** Requests in all. @default 200 */
  requests: number;
  /** Requests in flight at once (the highest stage under stress; 1 for latency). @default 8 */
  concurrency: number;
  /** Documents per request. @default 20 */
  docs: number;
  /** Words per document. @default 40 (200 for throughput) */
  docWords: number;
  /** Seed of the texts: the server caches scores, so a repeated seed measures the cache. @default 42 */
  seed: number;
  /** Per request. @default 130000 (above the server's WORKER_TIMEOUT) */
  timeoutMs: number;
  /** No new requests after this many seconds. @default 300 */
  maxSeconds: number;
  /** Sent as `Authorization: Bearer <key>`; never printed or written to JSON. */
  apiKey?: string;
  /** Allow a target that is not a loopback address. @default false */
  allowRemote: boolean;
  /** Mixed traffic: each request names one of these in `model`, round-robin by weight. @default none (the default model) */
  models?: ModelWeight[];
}

export interface LoadStage {
  concurrency: number;
  seconds: number;
  summary: Summary;
}

export interface LoadResult {
  benchmark: 'load';
  startedAt: string;
  options: Omit<LoadOptions, 'apiKey'>;
  target: string;
  summary: Summary;
  /** With `models`: the requests of each model (docs/s over the run's wall time). */
  perModel: ModelLoad[];
  /** Stress only: one entry per concurrency level. */
  stages: LoadStage[];
  seconds: number;
  stoppedEarly: boolean;
  /** The first few unexpected failures (503 with Retry-After under stress is expected). */
  failures: string[];
  /** Failed requests, not counting 503 + Retry-After under stress: a run is good when this is 0. */
  hardFailures: number;
}

/** The /rerank URL of `base`; refuses what is not a URL, and remote hosts without the opt-in (`optIn` says how). */
export function loadTarget(base: string, allowRemote: boolean, optIn = 'pass --allow-remote'): URL {
  let target: URL;
  try {
    target = new URL('/rerank', base);
  } catch {
    throw new RerankerError('INVALID_CONFIG', `URL ${base} is not a URL: use e.g. http://127.0.0.1:8080`);
  }
  // A load test aimed at a shared host by mistake is an outage: remote targets need an explicit opt-in.
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(target.hostname);
  if (!loopback && !allowRemote) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `${target.host} is not a loopback address: ${optIn} to load-test another host`,
    );
  }
  return target;
}

/** 1, 2, 4, … up to and including `max`. */
export function rampLevels(max: number): number[] {
  const levels: number[] = [];
  for (let c = 1; c < max; c *= 2) levels.push(c);
  levels.push(max);
  return levels;
}

/** Runs the mode; `onStage` hears each stress stage as it ends. */
export async function runLoad(
  o: LoadOptions,
  onStage: (stage: LoadStage) => void = () => {},
): Promise<LoadResult> {
  const target = loadTarget(o.url, o.allowRemote);
  const concurrency = o.mode === 'latency' ? 1 : o.concurrency;
  const headers: Record<string, string> = {};
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  const random = seededRandom(o.seed);
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const deadline = started + o.maxSeconds * 1000;
  let stoppedEarly = false;
  const failures: string[] = [];
  const schedule = o.models && o.models.length > 0 ? mixSchedule(o.models) : undefined;

  const send = async (index: number): Promise<Outcome & { model?: string }> => {
    const documents = Array.from({ length: o.docs }, () => makePassage(random, o.docWords));
    const model = schedule?.[index % schedule.length];
    const body = { query: makeQuery(random), documents, ...(model && { model }) };
    const outcome = await postRerank(
      target,
      body,
      { ...headers, 'x-request-id': `perf-${o.mode}-${o.seed}-${index}` },
      o.timeoutMs,
    );
    return { ...outcome, model };
  };

  /** Sends `count` requests with at most `inFlight` at once; stops starting new ones at the deadline. */
  const runPool = async (count: number, inFlight: number, firstIndex: number) => {
    const outcomes: Array<Outcome & { model?: string }> = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        if (performance.now() > deadline) {
          stoppedEarly = true;
          return;
        }
        const outcome = await send(firstIndex + next++);
        const expected = o.mode === 'stress' && outcome.status === 503 && outcome.retryAfter;
        if (outcome.error && !expected && failures.length < 5) failures.push(outcome.error);
        outcomes.push(outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
    return outcomes;
  };

  let outcomes: Array<Outcome & { model?: string }> = [];
  const stages: LoadStage[] = [];
  if (o.mode === 'stress') {
    const levels = rampLevels(concurrency).filter((_, i, all) => all.length - i <= o.requests);
    let sent = 0;
    for (const [i, level] of levels.entries()) {
      const count = Math.floor((o.requests - sent) / (levels.length - i));
      const stageStart = performance.now();
      const stage = await runPool(count, level, sent);
      sent += count;
      outcomes = outcomes.concat(stage);
      const result = {
        concurrency: level,
        seconds: (performance.now() - stageStart) / 1000,
        summary: summarize(stage),
      };
      stages.push(result);
      onStage(result);
    }
  } else {
    outcomes = await runPool(o.requests, concurrency, 0);
  }
  const summary = summarize(outcomes);
  const { apiKey: _secret, ...options } = o;
  const expected = o.mode === 'stress' ? summary.overloadedWithRetryAfter : 0;
  return {
    benchmark: 'load',
    startedAt,
    options: { ...options, concurrency },
    target: target.href,
    summary,
    perModel: o.models ? perModel(o.models, outcomes) : [],
    stages,
    seconds: (performance.now() - started) / 1000,
    stoppedEarly,
    failures,
    hardFailures: summary.total - summary.ok - expected,
  };
}
