import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BackendCandidate } from '@reranker/core';
import { createRedisCache, createReranker, createServerRegistry, type ServerRegistry } from '@reranker/node';
import { referenceBackend, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { serverConfig } from '../src/config';
import { DOCS, get, post, QUERY, silentPino, startServer, type TestServer } from './helpers';

const RUN = `test:${randomUUID()}:`;
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  // Registry entries live under the prefix too (not cache entries, so clear skips them).
  await Promise.all(registries.splice(0).map((r) => r.stop()));
  // The driver's clear deletes exactly this run's prefix.
  const cleanup = createRedisCache({ keyPrefix: RUN });
  await cleanup.clear();
  await cleanup.dispose();
});

const registries: ServerRegistry[] = [];
const listening: Server[] = [];
afterEach(async () => {
  await Promise.all(registries.splice(0).map((r) => r.stop()));
  await Promise.all(listening.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A distributed server as the bin builds it: engine, registry and app, listening on a free port. */
async function clusterMember(port: number): Promise<{ url: string; registry: ServerRegistry }> {
  const reranker = await createReranker({
    model: await synthesizedModelDir('tiny'),
    env: { ENABLE_DISTRIBUTED: 'true', REDIS_KEY_PREFIX: RUN },
    backends: [referenceBackend() as unknown as BackendCandidate],
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    progress: 'none',
  });
  const registry = createServerRegistry({
    keyPrefix: RUN,
    describe: () => ({
      host: '127.0.0.1',
      port,
      model: 'tiny',
      backend: 'reference',
      device: 'cpu',
      load: { active: 0, waiting: 0 },
    }),
  });
  registries.push(registry);
  const app = createApp({
    reranker,
    config: serverConfig({ warmupOnStart: false }),
    logger: silentPino(),
    registry,
  });
  await app.service.ready;
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  listening.push(server);
  server.on('close', () => void reranker.dispose());
  await registry.start();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, registry };
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
    const a = await clusterMember(8001);
    const b = await clusterMember(8002);
    const cluster = await get(`${a.url}/cluster`);
    expect(cluster.status).toBe(200);
    expect(cluster.body.self).toBe(a.registry.id);
    expect(cluster.body.servers.map((s: { port: number }) => s.port).sort()).toEqual([8001, 8002]);
    expect((await get(`${b.url}/health`)).body.distributed).toMatchObject({
      enabled: true,
      redis: 'ok',
      servers: 2,
    });
    await b.registry.stop();
    expect((await get(`${a.url}/health`)).body.distributed.servers).toBe(1);
  });

  it('GET /cluster is a 404 outside distributed mode', async () => {
    const local = await start(false);
    const res = await get(`${local.url}/cluster`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
