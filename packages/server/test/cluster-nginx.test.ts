// deploy/nginx.conf in front of three real server processes (distributed mode, synthesized tiny model,
// random weights) under steady load: one server killed with -9 mid-load costs no client a failed
// request (nginx retries on the others), and the two survivors keep serving.
import { type Nginx, startNginx } from '@reranker/testkit/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, getJson, type Load, poll, postJson, startLoad } from './cluster/http';
import { printLogsOnFailure, type ServerProcess, startServers, stopAll } from './cluster/processes';
import { clearPrefix, SHARED_REDIS_URL, uniquePrefix } from './cluster/redis';

const PREFIX = uniquePrefix('nginx');
const QUERY = 'how do solar panels make electricity';
printLogsOnFailure();

/** Requests one server has finished, from its /metrics JSON. */
async function served(server: ServerProcess): Promise<number> {
  return (await getJson(`${server.url}/metrics`)).body.metrics.total_requests;
}

describe('three servers behind deploy/nginx.conf', () => {
  let servers: ServerProcess[] = [];
  let nginx: Nginx | undefined;
  let load: Load | undefined;

  beforeAll(async () => {
    servers = await startServers(3, { redisUrl: SHARED_REDIS_URL, keyPrefix: PREFIX });
    nginx = await startNginx(servers.map((s) => s.port));
  });

  afterAll(async () => {
    await load?.stop();
    await nginx?.stop();
    await stopAll();
    await clearPrefix(6379, PREFIX);
  });

  it('kill -9 of one server under 8 concurrent clients: no request fails, the survivors keep serving', async () => {
    const [victim, ...survivors] = servers as [ServerProcess, ...ServerProcess[]];
    // Unique documents per request: each one is computed, so requests are in flight when the kill lands.
    load = startLoad({
      baseUrl: () => nginx!.url,
      path: '/rerank',
      concurrency: 8,
      body: (i) => ({ query: QUERY, documents: documents(`nginx-${i}`, 16, 30) }),
    });
    const okBefore = (count: number) =>
      poll(() => (load!.ok() >= count ? true : undefined), `${count} ok`, 40_000);
    await okBefore(40);
    // Every server took part before the kill (least_conn spreads 8 clients over all three).
    for (const server of servers) expect(await served(server)).toBeGreaterThan(0);

    const servedAtKill = await Promise.all(survivors.map(served));
    await victim.kill9();
    const okAtKill = load.ok();
    await okBefore(okAtKill + 60);
    const result = await load.stop();
    load = undefined;

    expect(result.failures).toEqual([]);
    expect(result.ok).toBe(result.sent);
    // Both survivors served requests after the kill.
    const servedAfter = await Promise.all(survivors.map(served));
    for (const [i, count] of servedAfter.entries()) expect(count).toBeGreaterThan(servedAtKill[i]!);
    // nginx did retry, and only attempts on the dead server failed: e.g. upstream_status "502, 200".
    const lines = (await nginx!.accessLog())
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { upstream: string; upstream_status: string; status: number });
    const retried = lines.filter((line) => line.upstream_status.includes(','));
    expect(retried.length).toBeGreaterThan(0);
    for (const line of retried) {
      expect(line.status).toBe(200);
      expect(line.upstream_status.split(', ').at(-1)).toBe('200');
      const failedAttempts = new Set(line.upstream.split(', ').slice(0, -1));
      expect([...failedAttempts]).toEqual([`127.0.0.1:${victim.port}`]);
    }

    // And a fresh request after the load still succeeds through nginx.
    const after = await postJson(`${nginx!.url}/rerank`, { query: QUERY, documents: documents('after', 4) });
    expect(after.status).toBe(200);
    expect(after.body.results).toHaveLength(4);
  });
});
