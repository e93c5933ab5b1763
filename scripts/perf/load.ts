// scripts/performance_test.sh's argument and environment handling; the load generator and its figures
// are the bench package's (`pnpm -s bench load` is the same run with flags).
// Usage: node --conditions=@reranker/source --import tsx scripts/perf/load.ts load N C | latency N | throughput N C | stress N C
import { LOAD_MODES, type LoadMode, loadTarget, runLoad } from '../../packages/bench/src/load';
import { formatSummary } from '../../packages/bench/src/load-report';

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
if (!LOAD_MODES.includes(modeArg as LoadMode))
  fail(`unknown mode ${modeArg ?? '(none)'}: use ${LOAD_MODES.join(', ')}`);
const mode = modeArg as LoadMode;
const requests = intArg(nArg, 'N (requests)', 1, MAX_REQUESTS);
const concurrency = mode === 'latency' ? 1 : intArg(cArg, 'C (concurrency)', 1, MAX_CONCURRENCY);
const docs = intArg(env.DOCS ?? '20', 'DOCS', 1, 10_000);
// Throughput mode sends longer passages, so batches fill with tokens rather than request overhead.
const docWords = intArg(env.DOC_WORDS ?? (mode === 'throughput' ? '200' : '40'), 'DOC_WORDS', 1, 100_000);
const seed = intArg(env.SEED ?? '42', 'SEED', 0, 2 ** 32 - 1);
const timeoutMs = intArg(env.REQUEST_TIMEOUT_MS ?? '130000', 'REQUEST_TIMEOUT_MS', 1, 3_600_000);
const maxSeconds = intArg(env.MAX_SECONDS ?? '300', 'MAX_SECONDS', 1, 86_400);
const url = env.URL || `http://127.0.0.1:${env.PORT || '8000'}`;
const allowRemote = env.ALLOW_REMOTE === '1';
let target: URL;
try {
  target = loadTarget(url, allowRemote, 'set ALLOW_REMOTE=1');
} catch (error) {
  fail((error as Error).message);
}

const describe = mode === 'latency' ? 'sequential' : `concurrency ${concurrency}`;
console.log(
  `mode: ${mode} (${describe}), target: ${target.href}, documents/request: ${docs}, ` +
    `words/document: ~${docWords}, seed: ${seed}`,
);
const result = await runLoad(
  {
    url,
    mode,
    requests,
    concurrency,
    docs,
    docWords,
    seed,
    timeoutMs,
    maxSeconds,
    allowRemote,
    apiKey: env.API_KEY,
  },
  ({ concurrency: level, summary: s }) => {
    const errors = s.networkErrors + s.badBodies + Object.values(s.httpErrors).reduce((a, b) => a + b, 0);
    console.log(
      `stage concurrency ${level}: ${s.total} requests, ${s.ok} ok, ${s.overloaded} overloaded (503), ` +
        `${errors} errors, p95 ${s.p95 === undefined ? 'n/a' : `${s.p95.toFixed(1)} ms`}`,
    );
  },
);
for (const line of formatSummary(result.summary, result.seconds, docs)) console.log(line);
if (result.stoppedEarly) console.log(`stopped early: MAX_SECONDS=${maxSeconds} reached`);
for (const failure of result.failures) console.log(`failure: ${failure}`);

// Under stress, 503 + Retry-After is the server shedding load as designed; anything else is a failure.
process.exitCode = result.hardFailures > 0 || result.stoppedEarly ? 1 : 0;
