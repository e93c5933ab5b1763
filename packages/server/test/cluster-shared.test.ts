// Three real server processes on one Redis (ENABLE_DISTRIBUTED=true, synthesized tiny model, random
// weights): scores computed by one are served to the others from Redis, identical requests sent to
// all three at once run the model once in total, and GET /cluster follows the live servers.
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, getJson, modelRows, poll, postJson } from './cluster/http';
import { printLogsOnFailure, type ServerProcess, startServers, stopAll } from './cluster/processes';
import { clearPrefix, SHARED_REDIS_URL, uniquePrefix } from './cluster/redis';

const PREFIX = uniquePrefix('shared');
const QUERY = 'how do solar panels make electricity';
printLogsOnFailure();

/** Scores by document index, from the native route's results (sorted best first). */
function byIndex(results: { index: number; score: number }[]): number[] {
  return [...results].sort((a, b) => a.index - b.index).map((r) => r.score);
}

describe('three server processes sharing one Redis', () => {
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    servers = await startServers(3, { redisUrl: SHARED_REDIS_URL, keyPrefix: PREFIX });
  });

  afterAll(async () => {
    await stopAll();
    await clearPrefix(6379, PREFIX);
  });

  it('a request computed by server A is served to server B from Redis, with identical scores', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const docs = documents('cache', 12);
    const rowsBefore = await Promise.all([modelRows(a.url), modelRows(b.url)]);
    const hitsBefore = (await getJson(`${b.url}/metrics`)).body.metrics.cache_hits;

    const first = await postJson(`${a.url}/rerank`, { query: QUERY, documents: docs });
    expect(first.status).toBe(200);
    const second = await postJson(`${b.url}/rerank`, { query: QUERY, documents: docs });
    expect(second.status).toBe(200);

    // A ran the model on every pair; B on none, and counted them all as cache hits.
    expect((await modelRows(a.url)) - rowsBefore[0]!).toBe(docs.length);
    expect((await modelRows(b.url)) - rowsBefore[1]!).toBe(0);
    expect((await getJson(`${b.url}/metrics`)).body.metrics.cache_hits - hitsBefore).toBe(docs.length);
    // The same logits travelled through Redis (exact), and they are the reference model's.
    expect(second.body.results).toEqual(first.body.results);
    const expected = await referencePairScores(await synthesizedModelDir('tiny'), QUERY, docs);
    expect(maxAbsDiff(byIndex(first.body.results), expected)).toBeLessThan(1e-4);
  });

  it('the same request sent to all three servers at once runs the model once in total', async () => {
    // Enough long documents that the computation outlasts the time the requests take to arrive, yet
    // well within the 10 s a server waits for another's claimed pairs before computing them itself.
    const docs = documents('dedupe', 160, 40);
    const before = await Promise.all(servers.map((s) => modelRows(s.url)));
    // Sent together, awaited together.
    const responses = await Promise.all(
      servers.map((s) => postJson(`${s.url}/rerank`, { query: QUERY, documents: docs })),
    );
    const after = await Promise.all(servers.map((s) => modelRows(s.url)));
    const perServer = after.map((rows, i) => rows - before[i]!);

    for (const response of responses) expect(response.status).toBe(200);
    expect(responses[1]!.body.results).toEqual(responses[0]!.body.results);
    expect(responses[2]!.body.results).toEqual(responses[0]!.body.results);
    // Each unique pair ran once somewhere (not 3 x 300), whichever servers did the work.
    expect(
      perServer.reduce((sum, rows) => sum + rows, 0),
      `rows per server: ${perServer}`,
    ).toBe(docs.length);
  });

  // Claims of one request were once a pipeline: opposite orders interleaved in Redis, each server waited
  // for pairs the other had claimed and after 10 s both computed everything. Now a MULTI/EXEC.
  it('the same pairs in opposite orders on two servers at once still run once', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    for (let round = 0; round < 6; round++) {
      const docs = documents(`opposite-${round}`, 160, 40);
      const before = await Promise.all([modelRows(a.url), modelRows(b.url)]);
      const responses = await Promise.all([
        postJson(`${a.url}/rerank`, { query: QUERY, documents: docs }),
        postJson(`${b.url}/rerank`, { query: QUERY, documents: [...docs].reverse() }),
      ]);
      const after = await Promise.all([modelRows(a.url), modelRows(b.url)]);
      for (const response of responses) expect(response.status).toBe(200);
      const perServer = after.map((rows, i) => rows - before[i]!);
      expect(perServer[0]! + perServer[1]!, `round ${round}, rows per server: ${perServer}`).toBe(
        docs.length,
      );
    }
  });

  it('GET /cluster on each server lists all three; a server killed with -9 drops out by itself', async () => {
    const ports = servers.map((s) => s.port).sort();
    const views = await Promise.all(servers.map((s) => getJson(`${s.url}/cluster`)));
    const ids = views.map((view) => view.body.self as string);
    for (const view of views) {
      expect(view.status).toBe(200);
      expect(view.body.servers.map((s: { port: number }) => s.port).sort()).toEqual(ports);
      expect(view.body.servers.map((s: { id: string }) => s.id).sort()).toEqual([...ids].sort());
    }
    expect(new Set(ids).size).toBe(3);

    const [victim, ...survivors] = servers as [ServerProcess, ...ServerProcess[]];
    await victim.kill9(); // no SIGTERM: the registry entry is not removed, it must expire
    // Its entry lives three heartbeats (6 s by default); the bound is generous for a busy machine.
    for (const survivor of survivors) {
      await poll(
        async () => {
          const { status, body } = await getJson(`${survivor.url}/cluster`);
          if (status !== 200) return undefined;
          const listed = body.servers.map((s: { port: number }) => s.port).sort();
          return listed.includes(victim.port) ? undefined : listed;
        },
        `port ${victim.port} to drop out of ${survivor.url}/cluster`,
        30_000,
        250,
      );
    }
    const remaining = await getJson(`${survivors[0]!.url}/cluster`);
    expect(remaining.body.servers.map((s: { port: number }) => s.port).sort()).toEqual(
      survivors.map((s) => s.port).sort(),
    );
    expect((await getJson(`${survivors[1]!.url}/health`)).body.distributed).toMatchObject({
      enabled: true,
      redis: 'ok',
      servers: 2,
    });
  });
});
