// Redis dies under load and comes back: two real server processes (synthesized tiny model, random
// weights) on a private redis-server keep answering every request on their own while it is down
// (/health says `degraded`), and re-attach by themselves once it is back on the same port: /health `ok`,
// both servers registered again, and scores shared through Redis again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, getJson, type Load, modelRows, poll, postJson, startLoad } from './cluster/http';
import { printLogsOnFailure, type ServerProcess, startServers, stopAll } from './cluster/processes';
import { type PrivateRedis, startPrivateRedis, stopPrivateRedis, uniquePrefix } from './cluster/redis';

const QUERY = 'how do solar panels make electricity';
printLogsOnFailure();

describe('Redis stopped and restarted while two servers are under load', () => {
  let redis: PrivateRedis | undefined;
  let servers: ServerProcess[] = [];
  let load: Load | undefined;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    servers = await startServers(2, { redisUrl: redis.url, keyPrefix: uniquePrefix('outage') });
  });

  afterAll(async () => {
    await load?.stop();
    await stopAll();
    await stopPrivateRedis(redis);
  });

  /** Both servers' /health `distributed` block shows `expected` (polled: the servers find out by themselves). */
  const healthBecomes = (expected: { redis: string; servers: number | null }, what: string) =>
    Promise.all(
      servers.map((server) =>
        poll(
          async () => {
            const { redis, servers: count } = (await getJson(`${server.url}/health`)).body.distributed ?? {};
            return redis === expected.redis && count === expected.servers ? true : undefined;
          },
          `${server.url}/health to show ${what}`,
          40_000,
          200,
        ),
      ),
    );

  /** Resolves once `count` more requests have succeeded. */
  const moreSucceed = (count: number, what: string) => {
    const target = load!.ok() + count;
    return poll(() => (load!.ok() >= target ? true : undefined), what, 40_000);
  };

  it('no client request fails; /health goes degraded, then ok with both servers registered again', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    await healthBecomes({ redis: 'ok', servers: 2 }, 'redis ok with 2 servers');
    // Every request is new (unique documents), so each one reads and writes Redis.
    load = startLoad({
      baseUrl: () => servers[Math.floor(Math.random() * servers.length)]!.url,
      path: '/rerank',
      concurrency: 4,
      body: (i) => ({ query: QUERY, documents: documents(`outage-${i}`, 8) }),
    });
    await moreSucceed(10, 'load to run before Redis goes down');

    await redis!.kill();
    await healthBecomes({ redis: 'degraded', servers: null }, 'redis degraded');
    expect((await getJson(`${a.url}/cluster`)).status).toBe(503);
    await moreSucceed(20, 'requests to keep succeeding while Redis is down');

    await redis!.restart(); // same port, empty
    await healthBecomes({ redis: 'ok', servers: 2 }, 'redis ok again with 2 servers');
    await moreSucceed(10, 'requests to keep succeeding after Redis is back');

    const result = await load.stop();
    load = undefined;
    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(result.sent);

    // Re-attached for real: a pair computed by A reaches B through the restarted Redis.
    const docs = documents('after-restart', 6);
    const rowsBefore = await modelRows(b.url);
    const first = await postJson(`${a.url}/rerank`, { query: QUERY, documents: docs });
    const second = await postJson(`${b.url}/rerank`, { query: QUERY, documents: docs });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.results).toEqual(first.body.results);
    expect((await modelRows(b.url)) - rowsBefore).toBe(0);
  });
});
