/** What a cache stores for a pair (structurally the same as `CachedLogits` in @reranker/core). */
export type CachedLogitsLike = readonly number[];

/**
 * The shape of `CacheDriver` from @reranker/core, declared here because testkit must not depend on
 * core (core's tests depend on testkit). Keep the two identical.
 */
export interface CacheDriverLike {
  readonly name: string;
  get(key: string): Promise<CachedLogitsLike | undefined>;
  set(key: string, value: CachedLogitsLike, ttlMs?: number): Promise<void>;
  getMany?(keys: readonly string[]): Promise<(CachedLogitsLike | undefined)[]>;
  setMany?(entries: readonly (readonly [string, CachedLogitsLike])[], ttlMs?: number): Promise<void>;
  delete?(key: string): Promise<void>;
  clear?(): Promise<void>;
  size?(): Promise<number>;
  dispose?(): Promise<void>;
  claim?(keys: readonly string[]): Promise<boolean[]>;
  wait?(keys: readonly string[], signal?: AbortSignal): Promise<(CachedLogitsLike | undefined)[]>;
  release?(keys: readonly string[]): Promise<void>;
}
