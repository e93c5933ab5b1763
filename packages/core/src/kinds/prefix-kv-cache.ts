import { LRUCache } from 'lru-cache';
import { RerankerError } from '../errors';

/** Bounds of the per-session LRU of shared prefixes' key/values (one per worker or web session). */
export interface PrefixCacheOptions {
  /**
   * Most prefixes held. A request's document batches, and concurrent requests with the same query
   * and instruction, reuse one entry.
   * @default 32
   */
  maxEntries?: number;
  /**
   * Most bytes of key/values held, over all entries (a prefix larger than this is computed per batch
   * and never held). Qwen3-Reranker-0.6B keeps 112 KiB per prefix token (28 layers × 2 × 8 heads ×
   * 128 × 4 bytes): 64 MiB hold ~580 prefix tokens, e.g. five 110-token queries.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
}

export const PREFIX_CACHE_DEFAULTS = { maxEntries: 32, maxBytes: 64 * 1024 * 1024 } as const;

/** A past tensor as the runner keeps it: runtime-neutral, wrapped into a tensor per run. */
export interface KvTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** `past_key_values.{i}.key/value` name -> tensor, for one prefix. */
export type PrefixKv = Readonly<Record<string, KvTensor>>;

/** Counters for `describe()`: hits and misses count batches, not requests. */
export interface PrefixCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  bytes: number;
  maxEntries: number;
  maxBytes: number;
}

/** Throws INVALID_CONFIG unless the options are positive integers (maxBytes may be 0: no caching). */
export function checkPrefixCacheOptions(options: PrefixCacheOptions | undefined, owner: string): void {
  for (const [key, min] of [
    ['maxEntries', 1],
    ['maxBytes', 0],
  ] as const) {
    const value = options?.[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
      throw new RerankerError(
        'INVALID_CONFIG',
        `${owner}: prefixCache.${key} must be an integer ≥ ${min}, got ${String(value)}.`,
      );
    }
  }
}

const bytesOf = (kv: PrefixKv) => Object.values(kv).reduce((n, t) => n + t.data.byteLength, 0);

/**
 * The key/values of recent prefixes by `EncodedBatch.prefix.key` (which hashes the model fingerprint
 * and the prefix ids, so one entry never serves another model or instruction). lru-cache bounds
 * entries and bytes; a computation in flight is shared by the batches asking for it meanwhile.
 */
export class PrefixKvCache {
  private readonly lru: LRUCache<string, PrefixKv> | undefined;
  private readonly pending = new Map<string, Promise<PrefixKv>>();
  private readonly counts = { hits: 0, misses: 0, evictions: 0 };
  readonly maxEntries: number;
  readonly maxBytes: number;

  constructor(options: PrefixCacheOptions = {}) {
    checkPrefixCacheOptions(options, 'prefixCache');
    this.maxEntries = options.maxEntries ?? PREFIX_CACHE_DEFAULTS.maxEntries;
    this.maxBytes = options.maxBytes ?? PREFIX_CACHE_DEFAULTS.maxBytes;
    this.lru =
      this.maxBytes > 0
        ? new LRUCache<string, PrefixKv>({
            max: this.maxEntries,
            maxSize: this.maxBytes,
            sizeCalculation: (kv) => Math.max(1, bytesOf(kv)),
            dispose: (_value, _key, reason) => {
              if (reason === 'evict') this.counts.evictions++;
            },
          })
        : undefined;
  }

  /** The prefix's key/values, computed by `compute` on a miss (and held when they fit). */
  async get(key: string, compute: () => Promise<PrefixKv>): Promise<{ kv: PrefixKv; hit: boolean }> {
    // Looked up without awaiting first: two batches arriving together must find each other's run.
    const cached = this.lru?.get(key);
    const running = this.pending.get(key);
    const held = cached ?? (running && (await running.catch(() => undefined)));
    if (held) {
      this.counts.hits++;
      return { kv: held, hit: true };
    }
    this.counts.misses++;
    const computing = compute();
    this.pending.set(key, computing);
    try {
      const kv = await computing;
      // lru-cache refuses (without throwing) an entry larger than maxSize: computed per batch then.
      if (bytesOf(kv) <= this.maxBytes) this.lru?.set(key, kv);
      return { kv, hit: false };
    } finally {
      this.pending.delete(key);
    }
  }

  stats(): PrefixCacheStats {
    return {
      ...this.counts,
      entries: this.lru?.size ?? 0,
      bytes: this.lru?.calculatedSize ?? 0,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
    };
  }

  clear(): void {
    this.lru?.clear();
  }
}
