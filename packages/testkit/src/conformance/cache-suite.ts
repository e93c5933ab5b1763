import { describe, expect, it } from 'vitest';
import { declareClaimTests } from './cache-claims-suite';
import type { CacheDriverLike } from './cache-driver-like';

export type { CacheDriverLike, CachedLogitsLike } from './cache-driver-like';

export interface CacheSuiteOptions {
  /** Whether the driver honours `ttlMs` (runs the expiry test, which waits about a second). @default true */
  supportsTtl?: boolean;
  /**
   * A second driver on the store the latest `factory()` call made, as another server would open it:
   * required for a driver with claims (`claim`, `wait`, `release`), whose tests need two holders.
   */
  peer?: () => CacheDriverLike | Promise<CacheDriverLike>;
}

/** Values a cache must return bit for bit: signs, denormals, extremes and digits beyond float32. */
const EXACT = [-Math.PI, Number.MIN_VALUE, Number.MAX_VALUE, -2.2250738585072014e-308, 0.1 + 0.2, 1e-17];
const A = [1.25, -0.5];
const B = [42.000000000000014];
const C = [-7.5e-9, 3, 0];
/** Keys look like the engine's: a readable namespace, a separator and a hex digest. */
const key = (name: string): string => `reranker:v1:org/model_x@main:${name}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Declares the tests every cache driver must pass. Each test builds a fresh driver with `factory`
 * (which must give an empty cache) and disposes it afterwards; optional capabilities are tested
 * only when the driver has them (claims: when `options.peer` is given).
 */
export function testCacheDriver(
  name: string,
  factory: () => CacheDriverLike | Promise<CacheDriverLike>,
  options: CacheSuiteOptions = {},
): void {
  const { supportsTtl = true, peer } = options;

  /** Runs `body` on a fresh driver, disposing it even when the test fails. */
  const withDriver = (body: (driver: CacheDriverLike) => Promise<void>) => async () => {
    const driver = await factory();
    try {
      await body(driver);
    } finally {
      await driver.dispose?.();
    }
  };

  describe(`cache driver conformance: ${name}`, () => {
    it(
      'has a name and reports a miss as undefined',
      withDriver(async (driver) => {
        expect(typeof driver.name).toBe('string');
        expect(driver.name.length).toBeGreaterThan(0);
        expect(await driver.get(key('absent'))).toBeUndefined();
      }),
    );

    it(
      'round-trips float64 values exactly',
      withDriver(async (driver) => {
        await driver.set(key('exact'), EXACT);
        await driver.set(key('single'), B);
        expect(await driver.get(key('exact'))).toEqual(EXACT);
        expect(await driver.get(key('single'))).toEqual(B);
      }),
    );

    it(
      'keeps keys apart, including unusual characters',
      withDriver(async (driver) => {
        const odd = ['a:b', 'a b', 'ü*?[x]', `${'k'.repeat(300)}`, 'a\nb'];
        await Promise.all(odd.map((k, i) => driver.set(k, [i])));
        for (const [i, k] of odd.entries()) expect(await driver.get(k)).toEqual([i]);
        expect(await driver.get('a')).toBeUndefined();
      }),
    );

    it(
      'overwrites a key with the latest value',
      withDriver(async (driver) => {
        await driver.set(key('k'), A);
        await driver.set(key('k'), C);
        expect(await driver.get(key('k'))).toEqual(C);
      }),
    );

    it(
      'keeps 100 concurrent writes apart',
      withDriver(async (driver) => {
        const ids = Array.from({ length: 100 }, (_, i) => i);
        await Promise.all(ids.map((i) => driver.set(key(`c${i}`), [i, -i / 7])));
        const read = await Promise.all(ids.map((i) => driver.get(key(`c${i}`))));
        expect(read).toEqual(ids.map((i) => [i, -i / 7]));
      }),
    );

    it(
      'isolates stored values from mutation by the caller',
      withDriver(async (driver) => {
        const value = [1, 2, 3];
        await driver.set(key('iso'), value);
        value[0] = 99;
        const first = await driver.get(key('iso'));
        expect(first).toEqual([1, 2, 3]);
        try {
          (first as number[])[1] = 99;
        } catch {
          // A frozen value is isolated too.
        }
        expect(await driver.get(key('iso'))).toEqual([1, 2, 3]);
      }),
    );

    it(
      'getMany keeps key order, repeats and misses (when implemented)',
      withDriver(async (driver) => {
        if (!driver.getMany) return expect(driver.getMany).toBeUndefined();
        await driver.set(key('a'), A);
        await driver.set(key('c'), C);
        const keys = [key('c'), key('missing'), key('a'), key('c')];
        expect(await driver.getMany(keys)).toEqual([C, undefined, A, C]);
        expect(await driver.getMany([])).toEqual([]);
      }),
    );

    it(
      'setMany stores every entry (when implemented)',
      withDriver(async (driver) => {
        if (!driver.setMany) return expect(driver.setMany).toBeUndefined();
        await driver.setMany([
          [key('a'), A],
          [key('b'), B],
          [key('c'), C],
        ]);
        await driver.setMany([]);
        expect(await driver.get(key('a'))).toEqual(A);
        expect(await driver.get(key('b'))).toEqual(B);
        expect(await driver.get(key('c'))).toEqual(C);
      }),
    );

    it(
      'delete removes one entry and ignores absent keys (when implemented)',
      withDriver(async (driver) => {
        if (!driver.delete) return expect(driver.delete).toBeUndefined();
        await driver.set(key('a'), A);
        await driver.set(key('b'), B);
        await driver.delete(key('a'));
        await driver.delete(key('never-set'));
        expect(await driver.get(key('a'))).toBeUndefined();
        expect(await driver.get(key('b'))).toEqual(B);
      }),
    );

    it(
      'clear removes every entry (when implemented)',
      withDriver(async (driver) => {
        if (!driver.clear) return expect(driver.clear).toBeUndefined();
        await driver.set(key('a'), A);
        await driver.set(key('b'), B);
        await driver.clear();
        expect(await driver.get(key('a'))).toBeUndefined();
        expect(await driver.get(key('b'))).toBeUndefined();
        if (driver.size) expect(await driver.size()).toBe(0);
        await driver.set(key('a'), C);
        expect(await driver.get(key('a'))).toEqual(C);
      }),
    );

    it(
      'size counts distinct entries (when implemented)',
      withDriver(async (driver) => {
        if (!driver.size) return expect(driver.size).toBeUndefined();
        expect(await driver.size()).toBe(0);
        await driver.set(key('a'), A);
        await driver.set(key('b'), B);
        await driver.set(key('a'), C);
        expect(await driver.size()).toBe(2);
        if (driver.delete) {
          await driver.delete(key('a'));
          expect(await driver.size()).toBe(1);
        }
      }),
    );

    // Declared only for drivers with TTLs, so a driver without them shows no skipped test.
    if (supportsTtl) {
      it(
        'expires an entry after its ttlMs and keeps the others',
        withDriver(async (driver) => {
          // Generous: a loaded CI machine can stall tens of ms between the write and the first read.
          await driver.set(key('short'), A, 400);
          await driver.setMany?.([[key('short-many'), B]], 400);
          await driver.set(key('long'), C);
          // Read right away so the expiry below is not explained by a write that never happened.
          expect(await driver.get(key('short'))).toEqual(A);
          await sleep(900);
          expect(await driver.get(key('short'))).toBeUndefined();
          if (driver.setMany) expect(await driver.get(key('short-many'))).toBeUndefined();
          expect(await driver.get(key('long'))).toEqual(C);
        }),
      );
    }

    it('has the claims capability whole or not at all', async () => {
      const driver = await factory();
      try {
        const present = [driver.claim, driver.wait, driver.release].map((m) => typeof m === 'function');
        expect(present).toEqual([present[0], present[0], present[0]]);
        // The claim tests are declared when `peer` is given: a driver with claims must give one.
        expect(present[0], 'options.peer is given exactly for a driver with claims').toBe(peer !== undefined);
      } finally {
        await driver.dispose?.();
      }
    });

    // Declared only for drivers with claims, so a driver without them shows no skipped test.
    if (peer) {
      declareClaimTests((body) => async () => {
        const driver = await factory();
        const other = await peer();
        try {
          await body(driver, other);
        } finally {
          await Promise.all([driver.dispose?.(), other.dispose?.()]);
        }
      });
    }

    it('dispose is idempotent', async () => {
      const driver = await factory();
      await driver.set(key('a'), A);
      if (!driver.dispose) return expect(driver.dispose).toBeUndefined();
      await driver.dispose();
      await expect(driver.dispose()).resolves.toBeUndefined();
    });
  });
}
