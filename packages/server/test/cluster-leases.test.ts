// A server killed with -9 while it holds the cluster's only GLOBAL_MAX_PARALLEL lease: two real server
// processes (synthesized tiny model, random weights) on one Redis. The dead server never gives its lease
// back, so the other server's request waits while the lease is live and is served once it runs out.
import { execFile } from 'node:child_process';
import { maxAbsDiff, referencePairScores, synthesizedModelDir } from '@reranker/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, getJson, poll, postJson } from './cluster/http';
import { printLogsOnFailure, type ServerProcess, startServers, stopAll } from './cluster/processes';
import { clearPrefix, SHARED_REDIS_URL, uniquePrefix } from './cluster/redis';

const PREFIX = uniquePrefix('leases');
// The key global-limits.ts keeps its leases in: a sorted set of holder -> expiry (Redis ms).
const LEASE_KEY = `${PREFIX}~lease`;
const TTL_MS = 3000;
const QUERY = 'how do solar panels make electricity';
printLogsOnFailure();

function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', '6379', ...args], (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * The lease set (holder -> expiry) and Redis's clock read right after it: an expiry above `now` was
 * live when the set was read.
 */
async function leases(): Promise<{ holders: Map<string, number>; now: number }> {
  const lines = (await redisCli(['zrange', LEASE_KEY, '0', '-1', 'withscores'])).split('\n').filter(Boolean);
  const holders = new Map<string, number>();
  for (let i = 0; i + 1 < lines.length; i += 2) holders.set(lines[i]!, Number(lines[i + 1]));
  const [seconds, micros] = (await redisCli(['time'])).split('\n').map(Number);
  return { holders, now: seconds! * 1000 + Math.floor(micros! / 1000) };
}

/** Scores by document index, from the native route's results (sorted best first). */
function byIndex(results: { index: number; score: number }[]): number[] {
  return [...results].sort((a, b) => a.index - b.index).map((r) => r.score);
}

describe('a server killed with -9 while holding the only cluster lease', () => {
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    servers = await startServers(2, {
      redisUrl: SHARED_REDIS_URL,
      keyPrefix: PREFIX,
      env: {
        GLOBAL_MAX_PARALLEL: '1',
        GLOBAL_LEASE_TTL_MS: String(TTL_MS),
        // Outlasts the dead lease, so B's request waits for it rather than timing out.
        QUEUE_TIMEOUT_SECONDS: '20',
        // A slow Redis answer would admit without a lease (local limits only) and blur what is tested.
        REDIS_TIMEOUT_MS: '2000',
        // A's request must still run when it is killed: many documents, hence the raised limits.
        MAX_DOCUMENTS_PER_REQUEST: '10000',
        BODY_LIMIT: '16mb',
      },
    });
  });

  afterAll(async () => {
    await stopAll();
    await clearPrefix(6379, PREFIX);
  });

  it("keeps its lease until the TTL runs out, then the other server's request is served", async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    expect((await getJson(`${a.url}/health`)).body.distributed.global_limits).toEqual({
      max_parallel: 1,
      rate_limit_rps: 0,
      redis: 'ok',
    });

    // A takes the only lease for a long request; its holder shows up in the lease set.
    const slow = postJson(`${a.url}/rerank`, { query: QUERY, documents: documents('slow', 6000, 40) });
    let slowDone: string | undefined;
    const slowOutcome = slow.then(
      (response) => (slowDone = `answered ${response.status}: ${JSON.stringify(response.body)}`),
      () => (slowDone = 'connection lost'),
    );
    const holder = await poll(
      async () => {
        if (slowDone) throw new Error(`A's request ended before its lease was seen: ${slowDone}`);
        const { holders } = await leases();
        return holders.size === 1 ? [...holders.keys()][0] : undefined;
      },
      'server A to hold the lease',
      20_000,
      20,
    );

    await a.kill9(); // no drain: the lease is neither released nor renewed
    // A died mid-request, and its lease is still in the set (only an acquire after the TTL drops it).
    expect(await slowOutcome).toBe('connection lost');
    expect((await leases()).holders.has(holder)).toBe(true);

    const docs = documents('after-kill', 8);
    let settled = false;
    const served = postJson(`${b.url}/rerank`, { query: QUERY, documents: docs }).finally(() => {
      settled = true;
    });
    // B's request must not finish while A's lease is live. `settled` is read before Redis is, so a
    // request found settled while the lease is still live was served under that lease.
    let checks = 0;
    let pendingWhileLive = 0;
    for (;;) {
      const settledBefore = settled;
      const { holders, now } = await leases();
      const expiry = holders.get(holder);
      if (expiry === undefined || expiry <= now) break;
      expect(settledBefore, `B answered while A's lease had ${expiry - now} ms left`).toBe(false);
      pendingWhileLive++;
      if (++checks > 400) throw new Error(`A's lease is still live after ${checks} checks`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The scenario happened: B's request was in flight while the dead lease was live.
    expect(pendingWhileLive).toBeGreaterThan(0);

    // Once the lease runs out B gets it (within B's 20 s queue timeout, else it would answer 503).
    const response = await served;
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.results).toHaveLength(docs.length);
    const expected = await referencePairScores(await synthesizedModelDir('tiny'), QUERY, docs);
    expect(maxAbsDiff(byIndex(response.body.results), expected)).toBeLessThan(1e-4);

    // A's dead lease is gone, and B gave its own back (the release is asynchronous, hence polling).
    expect((await leases()).holders.has(holder)).toBe(false);
    await poll(
      async () => ((await leases()).holders.size === 0 ? true : undefined),
      'B to give its lease back',
      10_000,
    );
  });
});
