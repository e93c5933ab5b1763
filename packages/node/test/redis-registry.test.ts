import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createRedisCache, createServerRegistry, type ServerRegistry } from '../src/index';

const URL = 'redis://127.0.0.1:6379';
const RUN = `test:${randomUUID()}:`;
const admin = new Redis(URL, { lazyConnect: true });
afterAll(async () => {
  const keys = await admin.keys(`${RUN}*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

const describeAs =
  (port: number, load = { active: 0, waiting: 0 }) =>
  () => ({
    host: '127.0.0.1',
    port,
    model: 'testkit/tiny',
    backend: 'reference',
    device: 'cpu',
    load,
  });

describe('server registry', () => {
  it('lists live servers with what they reported, and forgets a stopped one', async () => {
    const prefix = `${RUN}live:`;
    const load = { active: 0, waiting: 0 };
    const a = createServerRegistry({
      url: URL,
      keyPrefix: prefix,
      heartbeatMs: 50,
      describe: describeAs(8001, load),
    });
    const b = createServerRegistry({ url: URL, keyPrefix: prefix, describe: describeAs(8002) });
    const other = createServerRegistry({ url: URL, keyPrefix: `${RUN}other:`, describe: describeAs(9000) });
    try {
      await Promise.all([a.start(), b.start(), other.start()]);
      const listed = await a.list();
      expect(listed.map((s) => s.port).sort()).toEqual([8001, 8002]);
      expect(listed.find((s) => s.port === 8001)).toMatchObject({
        id: a.id,
        model: 'testkit/tiny',
        backend: 'reference',
        started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      // Heartbeats carry the current load.
      load.active = 3;
      await vi.waitFor(async () => {
        expect((await b.list()).find((s) => s.id === a.id)?.load.active).toBe(3);
      });
      await b.stop();
      expect((await a.list()).map((s) => s.id)).toEqual([a.id]);
    } finally {
      await Promise.all([a.stop(), b.stop(), other.stop()]);
    }
  });

  it('a server that stops heartbeating (crashed) drops out within three heartbeats', async () => {
    const prefix = `${RUN}crash:`;
    const doomedClient = new Redis(URL);
    const doomed = createServerRegistry({
      client: doomedClient,
      keyPrefix: prefix,
      heartbeatMs: 40,
      describe: describeAs(1),
    });
    const survivor = createServerRegistry({ url: URL, keyPrefix: prefix, describe: describeAs(2) });
    let registries: ServerRegistry[] = [doomed, survivor];
    try {
      await Promise.all(registries.map((r) => r.start()));
      expect(await survivor.list()).toHaveLength(2);
      doomedClient.disconnect();
      await vi.waitFor(async () => expect((await survivor.list()).map((s) => s.port)).toEqual([2]), {
        timeout: 3000,
        interval: 40,
      });
      registries = [survivor];
    } finally {
      await Promise.all([doomed.stop(), ...registries.map((r) => r.stop())]);
    }
  });

  it('registry entries are not cache entries', async () => {
    const prefix = `${RUN}mixed:`;
    const registry = createServerRegistry({ url: URL, keyPrefix: prefix, describe: describeAs(1) });
    const cache = createRedisCache({ url: URL, keyPrefix: prefix });
    try {
      await registry.start();
      await cache.set('k', [1]);
      expect(await cache.size()).toBe(1);
      await cache.clear();
      expect(await registry.list()).toHaveLength(1);
    } finally {
      await Promise.all([registry.stop(), cache.dispose()]);
    }
  });
});
