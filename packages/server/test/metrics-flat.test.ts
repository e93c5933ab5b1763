import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { post, QUERY, startServer, type TestServer } from './helpers';

// The original service documented GET /metrics with its keys at the top level, and its aggregation
// scripts read them with jq and Python. This runs those very reads on a real answer.
const DOCUMENTED = [
  'total_requests',
  'successful_requests',
  'failed_requests',
  'success_rate',
  'avg_wait_time_ms',
  'avg_process_time_ms',
  'p50_wait_time_ms',
  'p95_wait_time_ms',
  'p99_wait_time_ms',
];

const TIMEOUT_MS = 300;

let t: TestServer;
let body: string;
beforeAll(async () => {
  // A first request held in the backend past workerTimeoutMs fails (TIMEOUT); three more succeed.
  t = await startServer({ engine: { workerTimeoutMs: TIMEOUT_MS } });
  t.probe.hold();
  const timedOut = await post(`${t.url}/rerank`, { query: QUERY, documents: ['held one', 'held two'] });
  expect(timedOut.status).toBe(504);
  t.probe.release();
  for (const route of ['/rerank', '/v1/rerank', '/v2/rerank']) {
    expect((await post(`${t.url}${route}`, { query: QUERY, documents: [`${route} one`] })).status).toBe(200);
  }

  const response = await fetch(`${t.url}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  body = await response.text();
});
afterAll(() => t?.close());

it("answers the original's scripts: jq '.total_requests, .success_rate' prints numbers, not null", () => {
  const out = execFileSync('jq', ['.total_requests, .success_rate'], { input: body, encoding: 'utf8' });
  // Four requests reached the engine: three scored, one timed out.
  expect(out.trim().split('\n')).toEqual(['4', '0.75']);
});

it('answers m["avg_process_time_ms"] in Python, and has every documented key at the top level', () => {
  const script =
    'import json, sys; m = json.load(sys.stdin); print(m["avg_process_time_ms"], m["failed_requests"])';
  const [avg, failed] = execFileSync('python3', ['-c', script], { input: body, encoding: 'utf8' })
    .trim()
    .split(' ');
  expect(Number(avg)).toBe(JSON.parse(body).avg_process_time_ms);
  expect(failed).toBe('1');

  const json = JSON.parse(body);
  for (const key of DOCUMENTED) expect(typeof json[key], key).toBe('number');
  expect(json).toMatchObject({ total_requests: 4, successful_requests: 3, failed_requests: 1 });
  expect(json.p50_wait_time_ms).toBeLessThanOrEqual(json.p95_wait_time_ms);
  expect(json.p95_wait_time_ms).toBeLessThanOrEqual(json.p99_wait_time_ms);
  // The timed-out request processed for at least TIMEOUT_MS, so the average over four is at least a quarter.
  expect(json.avg_process_time_ms).toBeGreaterThanOrEqual(TIMEOUT_MS / 4);
  expect(json.errors_by_code).toEqual({ TIMEOUT: 1 });
  expect(json.controller).toMatchObject({ active: 0, waiting: 0 });
});

it('keeps the nested `metrics` copy for clients of the earlier shape, with the same numbers', () => {
  const { controller, metrics, ...top } = JSON.parse(body);
  expect(controller).toBeDefined();
  expect(metrics).toEqual(top);
});
