import { expect, it } from 'vitest';
import type { CacheDriverLike } from './cache-driver-like';

/** Two handles on one store, as two servers open it: claims of one are another holder's to the other. */
export type WithPair = (
  body: (driver: CacheDriverLike, peer: CacheDriverLike) => Promise<void>,
) => () => Promise<void>;

const A = [1.25, -0.5];
const B = [42.000000000000014];
const key = (name: string): string => `reranker:v1:org/model_x@main:claim-${name}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a wait may take to notice a write, a release or an abort (polling drivers, busy machines). */
const NOTICE_MS = 3000;

/** Settles like `promise`, or rejects when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The claims capability (`CacheClaims` of core): declared by `testCacheDriver` when the driver has it.
 * Assumes the driver waits at least a few seconds for a claimed key (`NOTICE_MS`).
 */
export function declareClaimTests(withPair: WithPair): void {
  it(
    'claim: the first holder gets a key, another holder does not; its own claims stay its own',
    withPair(async (driver, peer) => {
      expect(await driver.claim!([])).toEqual([]);
      expect(await driver.claim!([key('a'), key('b')])).toEqual([true, true]);
      expect(await driver.claim!([key('a')])).toEqual([true]);
      expect(await peer.claim!([key('b'), key('c'), key('a')])).toEqual([false, true, false]);
      expect(await driver.claim!([key('c')])).toEqual([false]);
    }),
  );

  it(
    'wait: a value once written, undefined once its claim is released without one',
    withPair(async (driver, peer) => {
      await driver.claim!([key('written'), key('given-up')]);
      const waited = peer.wait!([key('written'), key('given-up')]);
      await sleep(100);
      await driver.set(key('written'), A);
      await driver.release!([key('written'), key('given-up')]);
      expect(await within(waited, NOTICE_MS, 'the wait')).toEqual([A, undefined]);
    }),
  );

  it(
    'wait: keys already written or never claimed end at once',
    withPair(async (driver, peer) => {
      await driver.set(key('there'), B);
      expect(await within(peer.wait!([key('there'), key('nobody')]), NOTICE_MS, 'the wait')).toEqual([
        B,
        undefined,
      ]);
      expect(await peer.wait!([])).toEqual([]);
    }),
  );

  it(
    'wait: ends as soon as its signal aborts, while the key is still claimed',
    withPair(async (driver, peer) => {
      await driver.claim!([key('held')]);
      const controller = new AbortController();
      const waited = peer.wait!([key('held')], controller.signal);
      const outcome = waited.then(
        () => 'resolved',
        () => 'rejected',
      );
      await sleep(100);
      const abortedAt = Date.now();
      controller.abort(new Error('client went away'));
      expect(await within(outcome, NOTICE_MS, 'the aborted wait')).toBe('rejected');
      expect(Date.now() - abortedAt).toBeLessThan(1000);
      await expect(peer.wait!([key('held')], AbortSignal.abort())).rejects.toBeDefined();
      // The claim itself is untouched by the abort.
      expect(await peer.claim!([key('held')])).toEqual([false]);
    }),
  );

  it(
    'release: ends only the holder’s own claims, and ignores keys it does not hold',
    withPair(async (driver, peer) => {
      await driver.claim!([key('mine')]);
      await peer.release!([key('mine'), key('never-claimed')]);
      expect(await peer.claim!([key('mine')])).toEqual([false]);
      await driver.release!([key('mine')]);
      await driver.release!([]);
      expect(await peer.claim!([key('mine')])).toEqual([true]);
      expect(await driver.claim!([key('mine')])).toEqual([false]);
    }),
  );
}
