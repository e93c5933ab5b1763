// Two real server processes on one Redis (ENABLE_DISTRIBUTED=true, synthesized tiny model): while server
// A computes a slow request holding the claims on its pairs, server B, asked for the same pairs, waits
// for A. When B's client disconnects, B's wait ends at once and its slot is free, long before A is done
// and long before the 10 s a server waits for another's claims.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documents, getJson, modelRows, poll, postJson } from './cluster/http';
import { printLogsOnFailure, type ServerProcess, startServers, stopAll } from './cluster/processes';
import { clearPrefix, countKeys, SHARED_REDIS_URL, uniquePrefix } from './cluster/redis';

const PREFIX = uniquePrefix('dedupe-abort');
const QUERY = 'how do solar panels make electricity';
printLogsOnFailure();

const active = async (server: ServerProcess): Promise<number> =>
  (await getJson(`${server.url}/health`)).body.controller.active;

describe('a server waiting for pairs another server claimed', () => {
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    [a, b] = (await startServers(2, { redisUrl: SHARED_REDIS_URL, keyPrefix: PREFIX })) as [
      ServerProcess,
      ServerProcess,
    ];
  });

  afterAll(async () => {
    await stopAll();
    await clearPrefix(6379, PREFIX);
  });

  it('stops waiting and frees its slot as soon as its client disconnects', async () => {
    // Full-length pairs: A computes for seconds on its one thread, holding the claims all along.
    const docs = documents('abort', 600, 500);
    const rowsBefore = await Promise.all([modelRows(a.url), modelRows(b.url)]);
    const first = postJson(`${a.url}/rerank`, { query: QUERY, documents: docs });
    await poll(
      async () => ((await countKeys(6379, `${PREFIX}~claim:*`)) === docs.length ? true : undefined),
      `server A to claim all ${docs.length} pairs`,
      30_000,
      20,
    );

    const client = new AbortController();
    const second = fetch(`${b.url}/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, documents: docs }),
      signal: client.signal,
    }).catch((error: unknown) => error);
    await poll(
      async () => ((await active(b)) === 1 ? true : undefined),
      'server B to take the request',
      10_000,
      20,
    );
    // B has a slot and computes nothing: it waits for A's claims.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await active(b)).toBe(1);
    expect((await modelRows(b.url)) - rowsBefore[1]!).toBe(0);

    const disconnectedAt = Date.now();
    client.abort();
    await poll(
      async () => ((await active(b)) === 0 ? true : undefined),
      "server B's slot to be free",
      10_000,
      20,
    );
    const freedAfterMs = Date.now() - disconnectedAt;
    // A is still computing: B's request did not end because the pairs arrived.
    expect(await active(a)).toBe(1);
    expect(freedAfterMs, `B's slot was freed ${freedAfterMs} ms after the disconnect`).toBeLessThan(2000);
    expect(((await second) as Error).name).toBe('AbortError');

    const done = await first;
    expect(done.status).toBe(200);
    // B never computed a pair; once A wrote them, B serves them all from Redis.
    const again = await postJson(`${b.url}/rerank`, { query: QUERY, documents: docs });
    expect(again.status).toBe(200);
    expect(again.body.results).toEqual(done.body.results);
    expect((await modelRows(b.url)) - rowsBefore[1]!).toBe(0);
    expect((await modelRows(a.url)) - rowsBefore[0]!).toBe(docs.length);
    expect(await countKeys(6379, `${PREFIX}~claim:*`)).toBe(0);
  });
});
