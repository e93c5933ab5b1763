import { raceAbort, throwIfAborted } from '../abort';
import { errorMessage, RerankerError } from '../errors';
import type { Logger } from '../logger';
import type { CacheDriver, CachedLogits } from './contract';

/** The engine-facing cache: whatever the driver does, a rerank never fails because of it. */
export interface PairCache {
  /** Never throws: a failing driver is logged (once per failure streak, not per call) and treated as all misses. */
  getMany(keys: readonly string[]): Promise<(CachedLogits | undefined)[]>;
  /** Never throws; same logging. Entries that are not arrays of finite numbers are not written. */
  setMany(entries: readonly (readonly [string, CachedLogits])[]): Promise<void>;
  /** Removes every entry. Never throws: a driver without `clear`, or a failing one, is logged. */
  clear(): Promise<void>;
  /** Entries held, or `undefined` when the driver cannot tell (or failed to). */
  size(): Promise<number | undefined>;
  /**
   * The driver's `claim` (see `CacheClaims`): `true` where this caller computes the pair. Never throws:
   * without the capability, or when it fails, every pair is the caller's.
   */
  claim(keys: readonly string[]): Promise<boolean[]>;
  /**
   * The driver's `wait`, values checked as `getMany` checks them; all misses without the capability or
   * when it fails. Rejects (with the request's error) as soon as `signal` aborts, whatever the driver does.
   */
  wait(keys: readonly string[], signal?: AbortSignal): Promise<(CachedLogits | undefined)[]>;
  /** The driver's `release`. Never throws; nothing to do without the capability. */
  release(keys: readonly string[]): Promise<void>;
  /** Disposes the driver (once) and turns every later call into a miss or a no-op. Never throws. */
  dispose(): Promise<void>;
  readonly driverName: string;
}

export interface PairCacheOptions {
  /** Where driver failures, recoveries and corrupt entries are reported. */
  logger: Logger;
  /** Lifetime given to the driver with every write; the driver's own default applies when omitted. */
  ttlMs?: number;
}

type Operation = 'read' | 'write' | 'clear' | 'size' | 'dispose' | 'claim' | 'wait' | 'release';

export function createPairCache(driver: CacheDriver, options: PairCacheOptions): PairCache {
  const { logger, ttlMs } = options;
  if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs < 0)) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `Cache ttlMs must be a finite number of milliseconds >= 0 (0: no expiry), got ${String(ttlMs)}.`,
      { details: { field: 'ttlMs', value: ttlMs } },
    );
  }
  const name = driver.name;
  const claims = hasClaims(driver);
  // Operations in a failure streak: a broken store is reported when it breaks and when it recovers,
  // not on every request in between.
  const failing = new Set<Operation>();
  let disposing: Promise<void> | undefined;

  const failed = (operation: Operation, error: unknown): void => {
    if (failing.has(operation)) return;
    failing.add(operation);
    logger.warn(
      { cache: name, operation, error: errorMessage(error) },
      `cache ${operation} failed; carrying on without the cache until it recovers`,
    );
  };
  const succeeded = (operation: Operation): void => {
    if (failing.delete(operation)) logger.info({ cache: name, operation }, `cache ${operation} recovered`);
  };

  /** What the driver returned for `keys`, and the first failure (fallback reads keep the hits that arrived). */
  const readRaw = async (
    keys: readonly string[],
  ): Promise<{ values: unknown[]; ok: boolean; error?: unknown }> => {
    if (driver.getMany) {
      try {
        const values: unknown = await call(() => driver.getMany!(keys));
        if (Array.isArray(values) && values.length === keys.length) return { values, ok: true };
        return {
          values: [],
          ok: false,
          error: `getMany returned ${describe(values)} for ${keys.length} keys`,
        };
      } catch (error) {
        return { values: [], ok: false, error };
      }
    }
    const settled = await Promise.allSettled(keys.map((key) => call(() => driver.get(key))));
    const rejected = settled.find((result) => result.status === 'rejected');
    const values = settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    return rejected ? { values, ok: false, error: rejected.reason } : { values, ok: true };
  };

  const writeRaw = async (entries: readonly (readonly [string, CachedLogits])[]): Promise<void> => {
    if (driver.setMany) return call(() => driver.setMany!(entries, ttlMs));
    const settled = await Promise.allSettled(
      entries.map(([key, value]) => call(() => driver.set(key, value, ttlMs))),
    );
    const rejected = settled.find((result) => result.status === 'rejected');
    if (rejected) throw rejected.reason;
  };

  /** The values usable as logits, in the order of `keys`; anything else is a miss (logged when corrupt). */
  const accept = (keys: readonly string[], raw: readonly unknown[]): (CachedLogits | undefined)[] => {
    let corrupt = 0;
    let sample: string | undefined;
    const values = keys.map((key, index) => {
      const value = raw[index];
      // null is a common "missing" in stores; treat it as a plain miss.
      if (value === undefined || value === null) return undefined;
      if (isLogits(value)) return value;
      corrupt += 1;
      sample ??= key;
      return undefined;
    });
    if (corrupt > 0) {
      logger.warn(
        { cache: name, corrupt, sampleKey: sample },
        'cache returned values that are not arrays of finite numbers; treated as misses and recomputed',
      );
    }
    return values;
  };

  return {
    driverName: name,

    async getMany(keys) {
      if (keys.length === 0) return [];
      if (disposing) return keys.map(() => undefined);
      const { values: raw, ok, error } = await readRaw(keys);
      if (ok) succeeded('read');
      else failed('read', error);
      return accept(keys, raw);
    },

    async setMany(entries) {
      if (disposing) return;
      // Never store what could not be read back as a score (e.g. NaN logits from a broken model).
      const valid = entries.filter(([key, value]) => typeof key === 'string' && isLogits(value));
      if (valid.length === 0) return;
      try {
        await writeRaw(valid);
        succeeded('write');
      } catch (error) {
        failed('write', error);
      }
    },

    async clear() {
      if (disposing) return;
      if (!driver.clear) {
        logger.warn({ cache: name }, `cache driver "${name}" cannot clear; its entries expire by their TTL`);
        return;
      }
      try {
        await call(() => driver.clear!());
        succeeded('clear');
      } catch (error) {
        failed('clear', error);
      }
    },

    async size() {
      if (disposing || !driver.size) return undefined;
      try {
        const size = await call(() => driver.size!());
        succeeded('size');
        return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
      } catch (error) {
        failed('size', error);
        return undefined;
      }
    },

    async claim(keys) {
      if (!claims || disposing || keys.length === 0) return keys.map(() => true);
      try {
        const owned: unknown = await call(() => driver.claim!(keys));
        if (!Array.isArray(owned) || owned.length !== keys.length) {
          throw new Error(`claim returned ${describe(owned)} for ${keys.length} keys`);
        }
        succeeded('claim');
        return owned.map((mine) => mine !== false);
      } catch (error) {
        failed('claim', error);
        return keys.map(() => true);
      }
    },

    async wait(keys, signal) {
      throwIfAborted(signal);
      if (!claims || disposing || keys.length === 0) return keys.map(() => undefined);
      // Raced here too, so a driver that ignores the signal still cannot hold a request that has ended.
      const waited = await raceAbort(
        call(() => driver.wait!(keys, signal)).then(
          (values: unknown) => {
            if (Array.isArray(values) && values.length === keys.length) {
              succeeded('wait');
              return values;
            }
            failed('wait', `wait returned ${describe(values)} for ${keys.length} keys`);
            return [];
          },
          (error: unknown) => {
            if (!signal?.aborted) failed('wait', error);
            return [];
          },
        ),
        signal,
      );
      return accept(keys, waited);
    },

    async release(keys) {
      if (!claims || disposing || keys.length === 0) return;
      try {
        await call(() => driver.release!(keys));
        succeeded('release');
      } catch (error) {
        failed('release', error);
      }
    },

    dispose() {
      disposing ??= (async () => {
        try {
          await call(() => driver.dispose?.());
        } catch (error) {
          failed('dispose', error);
        }
      })();
      return disposing;
    },
  };
}

/** A cached value usable as logits: a non-empty array of finite numbers. */
function isLogits(value: unknown): value is CachedLogits {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'number' && Number.isFinite(item))
  );
}

/** Runs a driver method so that a synchronous throw becomes a rejection like any other failure. */
async function call<T>(method: () => Promise<T> | T): Promise<T> {
  return method();
}

function describe(value: unknown): string {
  return Array.isArray(value) ? `an array of ${value.length}` : typeof value;
}

/** Whether the driver has the claims capability (a part of it is a mistake worth stopping on). */
function hasClaims(driver: CacheDriver): boolean {
  const present = [driver.claim, driver.wait, driver.release].filter((m) => typeof m === 'function').length;
  if (present === 0 || present === 3) return present === 3;
  throw new RerankerError(
    'INVALID_CONFIG',
    `Cache driver "${driver.name}" has only part of the claims capability: claim, wait and release go together.`,
    { details: { field: 'cache' } },
  );
}
