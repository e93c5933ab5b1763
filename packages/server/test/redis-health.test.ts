import { randomUUID } from 'node:crypto';
import { createRedisCache } from '@reranker/node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Member, startMember } from './cluster/member';
import { DOCS, get, post, QUERY, startServer, type TestServer } from './helpers';

const RUN = `test:${randomUUID()}:`;
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  // The driver's clear deletes exactly this run's prefix.
  const cleanup = createRedisCache({ keyPrefix: RUN });
  await cleanup.clear();
  await cleanup.dispose();
});

const members: Member[] = [];
afterEach(async () => {
  await Promise.all(members.splice(0).map((m) => m.close()));
});

/** A distributed server with a registry entry, as the bin builds it, on a free port. */
async function clusterMember(): Promise<Member> {
  const member = await startMember({ keyPrefix: RUN, registry: true });
  members.push(member);
  return member;
}

async function start(distributed: boolean): Promise<TestServer> {
  const server = await startServer({ engine: { distributed, redisKeyPrefix: RUN } });
  servers.push(server);
  return server;
}

describe('distributed mode over HTTP', () => {
  it('GET /health shows the distributed block only when it is on', async () => {
    const distributed = await start(true);
    const block = (await get(`${distributed.url}/health`)).body.distributed;
    expect(block).toMatchObject({ enabled: true, redis: 'ok', servers: null });
    // The first background count of the Redis entries may not have finished yet.
    expect(Object.keys(block).sort()).toEqual(['enabled', 'redis', 'servers', 'shared_cache']);
    const local = await start(false);
    expect((await get(`${local.url}/health`)).body).not.toHaveProperty('distributed');
  });

  it('a request served by one server is not recomputed by the other', async () => {
    const first = await start(true);
    const second = await start(true);
    const a = await post(`${first.url}/rerank`, { query: QUERY, documents: DOCS });
    const b = await post(`${second.url}/rerank`, { query: QUERY, documents: DOCS });
    expect(first.probe.rows).toBe(DOCS.length);
    expect(second.probe.rows).toBe(0);
    expect(b.body.results).toEqual(a.body.results);
  });

  it('GET /cluster lists the live servers and /health counts them', async () => {
    const a = await clusterMember();
    const b = await clusterMember();
    const cluster = await get(`${a.url}/cluster`);
    expect(cluster.status).toBe(200);
    expect(cluster.body.self).toBe(a.registry!.id);
    const ports = [a.url, b.url].map((url) => Number(new URL(url).port));
    expect(cluster.body.servers.map((s: { port: number }) => s.port).sort()).toEqual(ports.sort());
    expect((await get(`${b.url}/health`)).body.distributed).toMatchObject({
      enabled: true,
      redis: 'ok',
      servers: 2,
    });
    await b.registry!.stop();
    expect((await get(`${a.url}/health`)).body.distributed.servers).toBe(1);
  });

  it('GET /cluster is a 404 outside distributed mode', async () => {
    const local = await start(false);
    const res = await get(`${local.url}/cluster`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
