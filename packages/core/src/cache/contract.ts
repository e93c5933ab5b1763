/** What is cached for a pair: its raw logits (scores derive from them, so one entry serves every activation). */
export type CachedLogits = readonly number[];

/**
 * Optional capability of a shared store (all three methods or none): claims on missing pairs, so the
 * processes that share the store compute a pair once. For each request the engine claims the pairs it
 * missed, computes the ones it holds while it waits (with the request's `AbortSignal`) for the ones
 * another holder claimed, writes what it computed, then releases its claims, also when the request
 * failed or was aborted. A holder that dies without releasing frees its claims when they expire.
 */
export interface CacheClaims {
  /**
   * Claims each key for this driver instance: `true` where the claim is this instance's (new, or
   * already held by it: two requests of one process never wait for each other), `false` where another
   * holder claimed the key first and will write it, or where the value arrived since the caller's read
   * (a driver may check, closing that race); the caller then `wait`s for it.
   */
  claim(keys: readonly string[]): Promise<boolean[]>;
  /**
   * Waits for keys other holders claimed: each value once written, `undefined` for a key whose claim
   * ended without a value (released after a failure, or expired) or that the driver's longest wait
   * outlived; the caller computes those itself. Rejects as soon as `signal` aborts.
   */
  wait(keys: readonly string[], signal?: AbortSignal): Promise<(CachedLogits | undefined)[]>;
  /** Ends this instance's claims on `keys`; claims of other holders are left alone. */
  release(keys: readonly string[]): Promise<void>;
}

/**
 * A cache driver: a factory's product with two required methods and optional capabilities (like
 * unstorage drivers), `CacheClaims` among them. The engine never calls a driver directly:
 * `createPairCache` wraps it, fills the missing capabilities and turns every failure into a miss, so a
 * driver may simply throw.
 */
export interface CacheDriver extends Partial<CacheClaims> {
  /** Shown in logs and `info()`, e.g. `memory` or `redis`. */
  readonly name: string;
  /** The value stored under `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<CachedLogits | undefined>;
  /** Stores a copy of `value`; `ttlMs` overrides the driver's default lifetime (0: no expiry). */
  set(key: string, value: CachedLogits, ttlMs?: number): Promise<void>;
  /** Optional: values in the order of `keys`, `undefined` for each miss. */
  getMany?(keys: readonly string[]): Promise<(CachedLogits | undefined)[]>;
  /** Optional: stores every entry with one lifetime. */
  setMany?(entries: readonly (readonly [string, CachedLogits])[], ttlMs?: number): Promise<void>;
  /** Optional: removes one entry; removing an absent key is not an error. */
  delete?(key: string): Promise<void>;
  /** Optional: removes every entry of this driver. */
  clear?(): Promise<void>;
  /** Optional: how many entries the driver holds. */
  size?(): Promise<number>;
  /** Optional: releases timers and connections. Idempotent. */
  dispose?(): Promise<void>;
}
