// Load generator behind scripts/performance_test.sh: POSTs native /rerank requests with a bounded
// number of requests in flight and prints what scripts/perf/report.ts computes.
// Usage: node --import tsx scripts/perf/load.ts load N C | latency N | throughput N C | stress N C
import { performance } from 'node:perf_hooks';
import { formatSummary, type Outcome, summarize } from './report';
import { makePassage, makeQuery, seededRandom } from './text';

const MODES = ['load', 'latency', 'throughput', 'stress'] as const;
type Mode = (typeof MODES)[number];
const MAX_REQUESTS = 100_000;
const MAX_CONCURRENCY = 512;

function fail(message: string): never {
  process.stderr.write(`performance_test: ${message}\n`);
  process.exit(2);
}

function intArg(value: string | undefined, name: string, min: number, max: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min || n > max)
    fail(`${name} must be a whole number from ${min} to ${max}, got ${value ?? 'nothing'}`);
  return n;
}

const env = process.env;
const [modeArg, nArg, cArg] = process.argv.slice(2);
if (!MODES.includes(modeArg as Mode)) fail(`unknown mode ${modeArg ?? '(none)'}: use ${MODES.join(', ')}`);
const mode = modeArg as Mode;
const total = intArg(nArg, 'N (requests)', 1, MAX_REQUESTS);
const concurrency = mode === 'latency' ? 1 : intArg(cArg, 'C (concurrency)', 1, MAX_CONCURRENCY);
const documents = intArg(env.DOCS ?? '20', 'DOCS', 1, 10_000);
// Throughput mode sends longer passages, so batches fill with tokens rather than request overhead.
const docWords = intArg(env.DOC_WORDS ?? (mode === 'throughput' ? '200' : '40'), 'DOC_WORDS', 1, 100_000);
const seed = intArg(env.SEED ?? '42', 'SEED', 0, 2 ** 32 - 1);
const timeoutMs = intArg(env.REQUEST_TIMEOUT_MS ?? '130000', 'REQUEST_TIMEOUT_MS', 1, 3_600_000);
const maxSeconds = intArg(env.MAX_SECONDS ?? '300', 'MAX_SECONDS', 1, 86_400);

const base = env.URL || `http://127.0.0.1:${env.PORT || '8000'}`;
let target: URL;
try {
  target = new URL('/rerank', base);
} catch {
  fail(`URL=${base} is not a URL: use e.g. http://127.0.0.1:8000`);
}
// A load test aimed at a shared host by mistake is an outage: remote targets need an explicit opt-in.
const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(target.hostname);
if (!loopback && env.ALLOW_REMOTE !== '1')
  fail(`${target.host} is not a loopback address: set ALLOW_REMOTE=1 to load-test another host`);

const headers: Record<string, string> = { 'content-type': 'application/json' };
if (env.API_KEY) headers.authorization = `Bearer ${env.API_KEY}`;
const random = seededRandom(seed);
const started = performance.now();
const deadline = started + maxSeconds * 1000;
let stoppedEarly = false;
const failures: string[] = [];

function nextBody(): string {
  const docs = Array.from({ length: documents }, () => makePassage(random, docWords));
  return JSON.stringify({ query: makeQuery(random), documents: docs });
}

async function send(index: number): Promise<Outcome> {
  const body = nextBody();
  const t0 = performance.now();
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: { ...headers, 'x-request-id': `perf-${mode}-${seed}-${index}` },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const ms = performance.now() - t0;
    let ok = false;
    if (response.status === 200) {
      try {
        const results = (JSON.parse(text) as { results?: unknown }).results;
        ok = Array.isArray(results) && results.length === documents;
      } catch {}
    }
    const retryAfter = response.headers.has('retry-after');
    const error = ok ? undefined : `HTTP ${response.status}: ${text.slice(0, 200)}`;
    return { status: response.status, ok, ms, retryAfter, error };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const error = `${(err as Error).name}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`;
    return { status: 0, ok: false, ms: performance.now() - t0, retryAfter: false, error };
  }
}

/** Sends `count` requests with at most `inFlight` at once; stops starting new ones at the deadline. */
async function runPool(count: number, inFlight: number, firstIndex: number): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      if (performance.now() > deadline) {
        stoppedEarly = true;
        return;
      }
      const outcome = await send(firstIndex + next++);
      const expected = mode === 'stress' && outcome.status === 503 && outcome.retryAfter;
      if (outcome.error && !expected && failures.length < 5) failures.push(outcome.error);
      outcomes.push(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return outcomes;
}

/** 1, 2, 4, … up to and including `max`. */
function rampLevels(max: number): number[] {
  const levels: number[] = [];
  for (let c = 1; c < max; c *= 2) levels.push(c);
  levels.push(max);
  return levels;
}

const describe = mode === 'latency' ? 'sequential' : `concurrency ${concurrency}`;
console.log(
  `mode: ${mode} (${describe}), target: ${target.href}, documents/request: ${documents}, ` +
    `words/document: ~${docWords}, seed: ${seed}`,
);
let outcomes: Outcome[] = [];
if (mode === 'stress') {
  const levels = rampLevels(concurrency).filter((_, i, all) => all.length - i <= total);
  let sent = 0;
  for (const [i, level] of levels.entries()) {
    const count = Math.floor((total - sent) / (levels.length - i));
    const stage = await runPool(count, level, sent);
    sent += count;
    outcomes = outcomes.concat(stage);
    const s = summarize(stage);
    const errors = s.networkErrors + s.badBodies + [...s.httpErrors.values()].reduce((a, b) => a + b, 0);
    console.log(
      `stage concurrency ${level}: ${s.total} requests, ${s.ok} ok, ${s.overloaded} overloaded (503), ` +
        `${errors} errors, p95 ${s.p95 === undefined ? 'n/a' : `${s.p95.toFixed(1)} ms`}`,
    );
  }
} else {
  outcomes = await runPool(total, concurrency, 0);
}
const seconds = (performance.now() - started) / 1000;
const summary = summarize(outcomes);
for (const line of formatSummary(summary, seconds, documents)) console.log(line);
if (stoppedEarly) console.log(`stopped early: MAX_SECONDS=${maxSeconds} reached`);
for (const failure of failures) console.log(`failure: ${failure}`);

// Under stress, 503 + Retry-After is the server shedding load as designed; anything else is a failure.
const hardFailures = summary.total - summary.ok - (mode === 'stress' ? summary.overloadedWithRetryAfter : 0);
process.exitCode = hardFailures > 0 || stoppedEarly ? 1 : 0;
