// A rolling upgrade on one Redis: real server processes, one after the other, load whatever model
// folder sits at the same path. A server that loads another model there serves that model's scores
// (checked against the testkit's reference pass), never the first model's from the shared cache; a
// server that loads the first model again is served from Redis.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, getJson, modelRows, postJson } from './cluster/http';
import { printLogsOnFailure, startServer, stopAll } from './cluster/processes';
import { clearPrefix, SHARED_REDIS_URL, uniquePrefix } from './cluster/redis';

const PREFIX = uniquePrefix('upgrade');
const QUERY = 'how do solar panels make electricity';
const DOCS = documents('upgrade', 8);
printLogsOnFailure();

let work: string;
let modelA: string;
let modelB: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'reranker-upgrade-test-'));
  // Same preset, other seed: same architecture and file sizes, other weights.
  modelA = await synthesizedModelDir('tiny');
  modelB = await synthesizedModelDir('tiny', { seed: 7 });
});

afterAll(async () => {
  await stopAll();
  await clearPrefix(6379, PREFIX);
  await rm(work, { recursive: true, force: true });
});

/** Replaces the folder at the one path every server loads, as a deploy does. */
async function deploy(source: string): Promise<string> {
  const path = join(work, 'current');
  await rm(path, { recursive: true, force: true });
  await cp(source, path, { recursive: true });
  return path;
}

/** Starts a server on the folder, sends the request, stops it; returns what it answered. */
async function serveOnce(path: string) {
  const server = await startServer({
    redisUrl: SHARED_REDIS_URL,
    keyPrefix: PREFIX,
    env: { RERANKER_MODEL: path, RERANKER_CACHE_DIR: join(work, 'cache') },
  });
  try {
    const response = await postJson(`${server.url}/rerank`, { query: QUERY, documents: DOCS });
    expect(response.status).toBe(200);
    const scores = [...response.body.results]
      .sort((a: { index: number }, b: { index: number }) => a.index - b.index)
      .map((r: { score: number }) => r.score);
    const info = (await getJson(`${server.url}/info`)).body;
    return { scores, rows: await modelRows(server.url), fingerprint: info.model_fingerprint as string };
  } finally {
    await server.stop();
  }
}

describe('replacing the model folder at the same path, on one Redis', () => {
  it('the new model serves its own scores, and the old one is served from Redis again', async () => {
    const expectedA = await referencePairScores(modelA, QUERY, DOCS);
    const expectedB = await referencePairScores(modelB, QUERY, DOCS);
    // Otherwise serving A's scores for B could pass unnoticed.
    expect(maxAbsDiff(expectedA, expectedB)).toBeGreaterThan(1e-2);

    const first = await serveOnce(await deploy(modelA));
    expect(first.rows).toBe(DOCS.length);
    expect(maxAbsDiff(first.scores, expectedA)).toBeLessThan(1e-4);

    const second = await serveOnce(await deploy(modelB));
    expect(second.fingerprint).not.toBe(first.fingerprint);
    expect(second.rows, 'the second server ran the model on every pair').toBe(DOCS.length);
    expect(maxAbsDiff(second.scores, expectedB)).toBeLessThan(1e-4);

    // The same content again (a rollback): same fingerprint, so the shared entries serve it.
    const third = await serveOnce(await deploy(modelA));
    expect(third.fingerprint).toBe(first.fingerprint);
    expect(third.rows, 'every pair came from Redis').toBe(0);
    expect(third.scores).toEqual(first.scores);
  });
});
