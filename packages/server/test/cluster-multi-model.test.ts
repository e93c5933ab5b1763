// Distributed mode with several models: two real server processes on the shared Redis (a private key
// prefix) serve different model sets (synthesized models, random weights). The registry entry of each
// lists its models and which are loaded; /metrics/cluster aggregates each model over the servers that
// serve it, and its figures are those of the servers' own /metrics `models` blocks.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATENCY_BOUNDS_MS } from '@reranker/node';
import { synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { documents, getJson, poll, postJson } from './cluster/http';
import { printLogsOnFailure, type ServerProcess, startServer, stopAll } from './cluster/processes';
import { clearPrefix, SHARED_REDIS_URL, uniquePrefix } from './cluster/redis';

const PREFIX = uniquePrefix('multi-model');
// A folder of this file's own: other test runs on the machine may clean the shared one meanwhile.
const MODELS_ROOT = join(tmpdir(), 'reranker-testkit-cluster-multi-model');
const QUERY = 'how do solar panels make electricity';
printLogsOnFailure();

let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  const [bert, xlmr, modern] = await Promise.all([
    synthesizedModelDir('tiny', { root: MODELS_ROOT }),
    synthesizedModelDir('tiny-xlmr', { root: MODELS_ROOT }),
    synthesizedModelDir('tiny-modernbert', { root: MODELS_ROOT }),
  ]);
  const serve = (models: string) =>
    startServer({
      redisUrl: SHARED_REDIS_URL,
      keyPrefix: PREFIX,
      env: { RERANKER_MODELS: models, RERANKER_DEFAULT_MODEL: 'minilm' },
    });
  // Both serve minilm; a also xlmr, b also modern. Only the default model preloads.
  [a, b] = await Promise.all([
    serve(`minilm=${bert},xlmr=${xlmr}`),
    serve(`minilm=${bert},modern=${modern}`),
  ]);
}, 120_000);

afterAll(async () => {
  await stopAll();
  await clearPrefix(6379, PREFIX);
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

async function rerank(server: ServerProcess, model: string, tag: string, count: number): Promise<void> {
  const response = await postJson(`${server.url}/v2/rerank`, {
    model,
    query: QUERY,
    documents: documents(tag, count),
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

it('the registry lists each server’s models and which are loaded; /metrics/cluster sums them per model', async () => {
  for (let i = 0; i < 3; i++) await rerank(a, 'minilm', `a-minilm-${i}`, 2);
  for (let i = 0; i < 2; i++) await rerank(a, 'xlmr', `a-xlmr-${i}`, 3);
  await rerank(b, 'minilm', 'b-minilm', 4);

  // Heartbeats publish every 2 s: wait until both servers' last ones carry the traffic above.
  const cluster: Json = await poll(
    async () => {
      const body = (await getJson(`${b.url}/metrics/cluster`)).body;
      const m = body.models;
      return m?.minilm?.total_requests === 4 && m?.xlmr?.total_requests === 2 ? body : undefined;
    },
    'both servers to publish their per-model totals',
    30_000,
    200,
  );

  const servers: Json[] = (await getJson(`${a.url}/cluster`)).body.servers;
  expect(servers).toHaveLength(2);
  const byPort = new Map(servers.map((s) => [s.port, s]));
  const shown = (s: Json) =>
    s.models.map((m: Json) => ({ name: m.name, state: m.state, loaded: m.loaded, default: m.default }));
  expect(shown(byPort.get(a.port))).toEqual([
    { name: 'minilm', state: 'loaded', loaded: true, default: true },
    { name: 'xlmr', state: 'loaded', loaded: true, default: false },
  ]);
  // modern was never asked for: served, not loaded.
  expect(shown(byPort.get(b.port))).toEqual([
    { name: 'minilm', state: 'loaded', loaded: true, default: true },
    { name: 'modern', state: 'unloaded', loaded: false, default: false },
  ]);

  // The totals beside the per-model blocks are unchanged: 6 rerank requests, 16 documents.
  expect(cluster).toMatchObject({ servers: 2, requests: 6, errors: 0, documents: 16 });
  expect(cluster.models.minilm).toMatchObject({
    servers: 2,
    loaded_on: 2,
    in_flight: 0,
    total_requests: 4,
    successful_requests: 4,
    failed_requests: 0,
    success_rate: 1,
    documents_scored: 10,
  });
  expect(cluster.models.xlmr).toMatchObject({
    servers: 1,
    loaded_on: 1,
    total_requests: 2,
    documents_scored: 6,
  });
  expect(cluster.models.modern).toMatchObject({
    servers: 1,
    loaded_on: 0,
    total_requests: 0,
    success_rate: 1,
    avg_process_time_ms: null,
    p95_process_time_ms: null,
  });

  // Each server's /metrics averages the same requests (fewer than its window): the cluster's means
  // are their request-weighted means, to rounding.
  const ownA = (await getJson(`${a.url}/metrics`)).body.models;
  const ownB = (await getJson(`${b.url}/metrics`)).body.models;
  const weighted = (key: string) =>
    (ownA.minilm[key] * ownA.minilm.total_requests + ownB.minilm[key] * ownB.minilm.total_requests) /
    (ownA.minilm.total_requests + ownB.minilm.total_requests);
  for (const key of ['avg_wait_time_ms', 'avg_process_time_ms']) {
    expect(Math.abs(cluster.models.minilm[key] - weighted(key)), key).toBeLessThan(0.01);
    expect(Math.abs(cluster.models.xlmr[key] - ownA.xlmr[key]), key).toBeLessThan(0.01);
  }
  // Percentiles come from merged histograms: within one bucket (2^(1/4)) of the server's own.
  const step = LATENCY_BOUNDS_MS[1]! / LATENCY_BOUNDS_MS[0]!;
  const ownP99 = ownA.xlmr.p99_process_time_ms;
  expect(ownP99).toBeGreaterThan(0);
  expect(cluster.models.xlmr.p99_process_time_ms).toBeGreaterThan(ownP99 / step - 1e-6);
  expect(cluster.models.xlmr.p99_process_time_ms).toBeLessThan(ownP99 * step + 1e-6);
}, 120_000);
