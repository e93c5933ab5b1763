import { afterEach, describe, expect, it } from 'vitest';
import type { CacheClaims, CacheDriver, CachedLogits } from '../src/cache/contract';
import { isRerankerError, UnifiedReRanker } from '../src/index';
import { deferred, localModel, newProbe, type Probe, probedReference, recordingLogger } from './helpers';

const open: UnifiedReRanker[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.dispose().catch(() => {})));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const DOCS = Array.from({ length: 6 }, (_, i) => `passage ${i} about rivers and their deltas`);

/**
 * One store shared by several holders (servers), with claims. Its `wait` polls and ignores the signal
 * on purpose: the engine must end a request's wait by itself, whatever the driver does.
 */
function sharedStore() {
  const values = new Map<string, CachedLogits>();
  const claims = new Map<string, string>();
  const events: string[] = [];
  const waitSignals: (AbortSignal | undefined)[] = [];
  const driver = (holder: string): CacheDriver & CacheClaims => ({
    name: 'shared',
    get: async (key) => values.get(key),
    set: async (key, value) => {
      values.set(key, [...value]);
    },
    async setMany(entries) {
      events.push(`${holder} write ${entries.length}`);
      for (const [key, value] of entries) values.set(key, [...value]);
    },
    async claim(keys) {
      events.push(`${holder} claim ${keys.length}`);
      return keys.map((key) => {
        const owner = claims.get(key) ?? holder;
        claims.set(key, owner);
        return owner === holder;
      });
    },
    async wait(keys, signal) {
      events.push(`${holder} wait ${keys.length}`);
      waitSignals.push(signal);
      const deadline = Date.now() + 5000;
      while (!keys.every((key) => values.has(key) || !claims.has(key)) && Date.now() < deadline) {
        await sleep(5);
      }
      return keys.map((key) => values.get(key));
    },
    async release(keys) {
      events.push(`${holder} release ${keys.length}`);
      for (const key of keys) if (claims.get(key) === holder) claims.delete(key);
    },
  });
  return { values, claims, events, waitSignals, driver };
}

async function server(store: ReturnType<typeof sharedStore>, holder: string, probe: Probe) {
  const reranker = await UnifiedReRanker.create({
    model: await localModel('tiny'),
    backends: [probedReference(probe)],
    cache: store.driver(holder),
    logger: recordingLogger(),
    retryBackoffMs: 1,
  });
  open.push(reranker);
  return reranker;
}

/** Servers a and b on one shared store; a's runs wait at `gate` until the test resolves it. */
async function heldPair() {
  const store = sharedStore();
  const [probeA, probeB] = [newProbe(), newProbe()];
  const gate = deferred();
  probeA.gate = gate.promise;
  const a = await server(store, 'a', probeA);
  const b = await server(store, 'b', probeB);
  return { store, probeA, probeB, gate, a, b };
}

/** Resolves once `check` holds (polling), so a test waits for a state rather than a guessed delay. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('claims on a shared cache', () => {
  it('pairs another holder claimed are awaited, not computed; the holder writes, then releases', async () => {
    const { store, probeA, probeB, gate, a, b } = await heldPair();
    const first = a.rerankDetailed('rivers', DOCS);
    await until(() => probeA.runs > 0, 'server a to compute');
    const second = b.rerankDetailed('rivers', DOCS);
    await until(() => store.events.includes(`b wait ${DOCS.length}`), 'server b to wait');
    gate.resolve();
    const [ra, rb] = await Promise.all([first, second]);

    expect([probeA.rows, probeB.rows]).toEqual([DOCS.length, 0]);
    expect(rb.results).toEqual(ra.results);
    expect(rb.usage).toMatchObject({ computedPairs: 0, cachedPairs: DOCS.length });
    expect(b.stats().metrics).toMatchObject({ cache_hits: DOCS.length, cache_misses: 0 });
    // The claims end after the write, so a waiter never finds a claim gone and no value.
    const ofA = store.events.filter((e) => e.startsWith('a '));
    expect(ofA).toEqual([`a claim ${DOCS.length}`, `a write ${DOCS.length}`, `a release ${DOCS.length}`]);
    expect(store.claims.size).toBe(0);
  });

  it('a request whose caller aborts while it waits ends at once and frees its slot', async () => {
    const { store, probeA, probeB, gate, a, b } = await heldPair();
    const first = a.rerank('rivers', DOCS);
    await until(() => probeA.runs > 0, 'server a to compute');
    const controller = new AbortController();
    const second = b.rerank('rivers', DOCS, { signal: controller.signal }).catch((error: unknown) => error);
    await until(() => store.events.includes(`b wait ${DOCS.length}`), 'server b to wait');
    expect(b.stats().controller.active).toBe(1);

    const abortedAt = Date.now();
    controller.abort();
    const error = await second;
    expect(isRerankerError(error) && error.code).toBe('ABORTED');
    expect(Date.now() - abortedAt).toBeLessThan(500);
    expect(b.stats().controller.active).toBe(0);
    // The driver was handed a signal that ended with the request.
    expect(store.waitSignals[0]?.aborted).toBe(true);
    expect(probeB.runs).toBe(0);

    gate.resolve();
    await first;
    expect(probeA.rows).toBe(DOCS.length);
  });

  it('a holder whose request fails releases its claims at once; the waiter computes the pairs itself', async () => {
    const { store, probeA, probeB, gate, a, b } = await heldPair();
    probeA.fail = () => {
      throw new Error('the model broke');
    };
    const first = a.rerank('rivers', DOCS).catch((error: unknown) => error);
    await until(() => probeA.runs > 0, 'server a to compute');
    const second = b.rerankDetailed('rivers', DOCS);
    await until(() => store.events.includes(`b wait ${DOCS.length}`), 'server b to wait');
    gate.resolve();

    expect(isRerankerError(await first)).toBe(true);
    const rb = await second;
    expect(store.events).toContain(`a release ${DOCS.length}`);
    expect(probeB.rows).toBe(DOCS.length);
    expect(rb.usage).toMatchObject({ computedPairs: DOCS.length, cachedPairs: 0 });
    expect(store.values.size).toBe(DOCS.length);
  });
});
