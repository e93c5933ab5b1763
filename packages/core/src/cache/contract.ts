/** What is cached for a pair: its raw logits (scores derive from them, so one entry serves every activation). */
export type CachedLogits = readonly number[];

/**
 * A cache driver: a factory's product with two required methods and optional capabilities (like
 * unstorage drivers). The engine never calls a driver directly: `createPairCache` wraps it, fills the
 * missing capabilities and turns every failure into a miss, so a driver may simply throw.
 */
export interface CacheDriver {
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
