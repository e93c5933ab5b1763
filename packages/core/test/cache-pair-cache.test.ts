import { describe, expect, it, vi } from 'vitest';
import type { CacheDriver, CachedLogits } from '../src/cache/contract';
import { createMemoryCache } from '../src/cache/memory';
import { createPairCache } from '../src/cache/pair-cache';
import { isRerankerError } from '../src/errors';
import type { Logger } from '../src/logger';

function spyLogger() {
  return { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() } satisfies Logger;
}

/** A driver with only the two required methods, over a Map, with switchable failures. */
function basicDriver() {
  const store = new Map<string, unknown>();
  const state = { fail: false as false | 'throw' | 'reject' };
  const maybeFail = () => {
    if (state.fail === 'throw') throw new Error('connection refused');
    if (state.fail === 'reject') return Promise.reject(new Error('connection reset'));
    return undefined;
  };
  const driver = {
    name: 'basic',
    get: vi.fn((key: string) => maybeFail() ?? Promise.resolve(store.get(key) as CachedLogits | undefined)),
    set: vi.fn((key: string, value: CachedLogits, _ttlMs?: number) => {
      const failure = maybeFail();
      if (failure) return failure;
      store.set(key, [...value]);
      return Promise.resolve();
    }),
  } satisfies CacheDriver;
  return { driver, store, state };
}

describe('createPairCache', () => {
  it('reads and writes through getMany/setMany fallbacks over get/set, passing ttlMs', async () => {
    const { driver } = basicDriver();
    const cache = createPairCache(driver, { logger: spyLogger(), ttlMs: 1234 });
    expect(cache.driverName).toBe('basic');
    await cache.setMany([
      ['a', [1.5]],
      ['b', [-2, 3]],
    ]);
    expect(driver.set).toHaveBeenCalledWith('a', [1.5], 1234);
    expect(await cache.getMany(['b', 'x', 'a'])).toEqual([[-2, 3], undefined, [1.5]]);
    expect(driver.get).toHaveBeenCalledTimes(3);
    expect(await cache.getMany([])).toEqual([]);
    expect(await cache.size()).toBeUndefined();
  });

  it.each(['throw', 'reject'] as const)(
    'turns a driver that %ss into misses and warns once per streak',
    async (mode) => {
      const { driver, state } = basicDriver();
      const logger = spyLogger();
      const cache = createPairCache(driver, { logger });
      await cache.setMany([['a', [1]]]);
      state.fail = mode;
      for (let i = 0; i < 5; i++) {
        expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined]);
      }
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0]![0]).toMatchObject({ cache: 'basic', operation: 'read' });

      for (let i = 0; i < 5; i++) await expect(cache.setMany([['c', [2]]])).resolves.toBeUndefined();
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(logger.warn.mock.calls[1]![0]).toMatchObject({ operation: 'write' });

      // Recovery is logged and ends the streak: the next failure warns again.
      state.fail = false;
      expect(await cache.getMany(['a'])).toEqual([[1]]);
      expect(logger.info).toHaveBeenCalledWith(
        expect.objectContaining({ operation: 'read' }),
        expect.any(String),
      );
      state.fail = mode;
      await cache.getMany(['a']);
      expect(logger.warn).toHaveBeenCalledTimes(3);
    },
  );

  it('turns a failing native getMany/setMany into misses and a warning', async () => {
    const logger = spyLogger();
    const driver: CacheDriver = {
      name: 'broken',
      get: () => Promise.reject(new Error('unused')),
      set: () => Promise.reject(new Error('unused')),
      getMany: () => Promise.reject(new Error('timeout')),
      setMany: () => {
        throw new Error('timeout');
      },
    };
    const cache = createPairCache(driver, { logger });
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    await expect(cache.setMany([['a', [1]]])).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });

  it('treats a getMany answer of the wrong length as a failure', async () => {
    const logger = spyLogger();
    const driver: CacheDriver = {
      name: 'short',
      get: async () => undefined,
      set: async () => {},
      getMany: async () => [[1]],
    };
    const cache = createPairCache(driver, { logger });
    expect(await cache.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('keeps the hits of a fallback read when only some gets fail', async () => {
    const { driver, store } = basicDriver();
    store.set('good', [7]);
    driver.get.mockImplementation((key: string) =>
      key === 'bad'
        ? Promise.reject(new Error('slot moved'))
        : Promise.resolve(store.get(key) as CachedLogits),
    );
    const logger = spyLogger();
    const cache = createPairCache(driver, { logger });
    expect(await cache.getMany(['good', 'bad'])).toEqual([[7], undefined]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('treats corrupted values as misses and logs them', async () => {
    const { driver, store } = basicDriver();
    const corrupt: unknown[] = ['0.5', [Number.NaN], [1, Number.POSITIVE_INFINITY], [], { 0: 1 }, ['1'], 3];
    for (const [i, value] of corrupt.entries()) store.set(`bad${i}`, value);
    store.set('good', [0.25, -1]);
    store.set('null', null);
    const logger = spyLogger();
    const cache = createPairCache(driver, { logger });
    const keys = [...corrupt.map((_, i) => `bad${i}`), 'good', 'null'];
    const values = await cache.getMany(keys);
    expect(values).toEqual([...corrupt.map(() => undefined), [0.25, -1], undefined]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]![0]).toMatchObject({ corrupt: corrupt.length, sampleKey: 'bad0' });
  });

  it('does not write values that could not be read back as logits', async () => {
    const { driver } = basicDriver();
    const cache = createPairCache(driver, { logger: spyLogger() });
    await cache.setMany([
      ['nan', [Number.NaN]],
      ['empty', []],
      ['ok', [1]],
    ]);
    expect(driver.set).toHaveBeenCalledTimes(1);
    expect(driver.set).toHaveBeenCalledWith('ok', [1], undefined);
  });

  it('uses native capabilities of the memory driver and reports size and clear', async () => {
    const driver = createMemoryCache();
    const getMany = vi.spyOn(driver, 'getMany');
    const cache = createPairCache(driver, { logger: spyLogger() });
    await cache.setMany([
      ['a', [1]],
      ['b', [2]],
    ]);
    expect(await cache.getMany(['a', 'b'])).toEqual([[1], [2]]);
    expect(getMany).toHaveBeenCalledTimes(1);
    expect(await cache.size()).toBe(2);
    await cache.clear();
    expect(await cache.size()).toBe(0);
    await cache.dispose();
  });

  it('warns instead of throwing when the driver cannot clear or fails to', async () => {
    const logger = spyLogger();
    const { driver } = basicDriver();
    await expect(createPairCache(driver, { logger }).clear()).resolves.toBeUndefined();
    const failing: CacheDriver = { ...driver, clear: () => Promise.reject(new Error('NOPERM')) };
    await expect(createPairCache(failing, { logger }).clear()).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });

  it('disposes the driver once and then answers misses without calling it', async () => {
    const { driver, store } = basicDriver();
    store.set('a', [1]);
    const dispose = vi.fn(async () => {});
    const cache = createPairCache({ ...driver, dispose }, { logger: spyLogger() });
    await Promise.all([cache.dispose(), cache.dispose()]);
    await cache.dispose();
    expect(dispose).toHaveBeenCalledTimes(1);
    expect(await cache.getMany(['a'])).toEqual([undefined]);
    await cache.setMany([['b', [2]]]);
    expect(driver.get).not.toHaveBeenCalled();
    expect(driver.set).not.toHaveBeenCalled();
  });

  it('never throws from dispose', async () => {
    const logger = spyLogger();
    const { driver } = basicDriver();
    const cache = createPairCache(
      { ...driver, dispose: () => Promise.reject(new Error('quit failed')) },
      { logger },
    );
    await expect(cache.dispose()).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('rejects an invalid ttlMs with INVALID_CONFIG', () => {
    const { driver } = basicDriver();
    let error: unknown;
    try {
      createPairCache(driver, { logger: spyLogger(), ttlMs: -1 });
    } catch (e) {
      error = e;
    }
    expect(isRerankerError(error, 'INVALID_CONFIG')).toBe(true);
  });
});

describe('createPairCache claims', () => {
  it("without the capability every pair is the caller's and nothing is awaited", async () => {
    const cache = createPairCache(basicDriver().driver, { logger: spyLogger() });
    expect(await cache.claim(['a', 'b'])).toEqual([true, true]);
    expect(await cache.wait(['a'])).toEqual([undefined]);
    await expect(cache.release(['a'])).resolves.toBeUndefined();
    await expect(cache.wait(['a'], AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('refuses a driver with only part of the capability', () => {
    const { driver } = basicDriver();
    const partial = { ...driver, claim: async (keys: readonly string[]) => keys.map(() => true) };
    expect(() => createPairCache(partial, { logger: spyLogger() })).toThrow(
      /claim, wait and release go together/,
    );
  });

  it('a failing or malformed capability means compute it here, warned once per streak', async () => {
    const logger = spyLogger();
    const { driver } = basicDriver();
    const broken = {
      ...driver,
      claim: vi.fn(async () => {
        throw new Error('claims down');
      }),
      wait: vi.fn(async () => [[1], 'not logits', [Number.NaN]] as unknown as CachedLogits[]),
      release: vi.fn(async () => {
        throw new Error('claims down');
      }),
    };
    const cache = createPairCache(broken, { logger });
    expect(await cache.claim(['a', 'b'])).toEqual([true, true]);
    expect(await cache.claim(['a'])).toEqual([true]);
    expect(await cache.wait(['a', 'b', 'c'])).toEqual([[1], undefined, undefined]);
    await expect(cache.release(['a'])).resolves.toBeUndefined();
    const warnings = logger.warn.mock.calls.map((call) => String(call[1]));
    expect(warnings.filter((w) => w.startsWith('cache claim failed'))).toHaveLength(1);
    expect(warnings.filter((w) => w.startsWith('cache release failed'))).toHaveLength(1);
    expect(warnings.some((w) => w.includes('not arrays of finite numbers'))).toBe(true);
  });

  it('wait rejects as soon as the signal aborts, even when the driver ignores it', async () => {
    const { driver } = basicDriver();
    const stuck = {
      ...driver,
      claim: async (keys: readonly string[]) => keys.map(() => false),
      wait: () => new Promise<(CachedLogits | undefined)[]>(() => {}),
      release: async () => {},
    };
    const logger = spyLogger();
    const cache = createPairCache(stuck, { logger });
    const controller = new AbortController();
    const waited = cache.wait(['a'], controller.signal);
    setTimeout(() => controller.abort(), 20);
    await expect(waited).rejects.toMatchObject({ code: 'ABORTED' });
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
