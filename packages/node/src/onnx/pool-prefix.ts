import { PREFIX_CACHE_DEFAULTS, type PrefixCacheStats } from '@reranker/core';

/**
 * The prefix LRU counters of a pool (`describe().prefixCache`): hits, misses and evictions summed
 * over its workers, past and present; entries and bytes held now over every worker; the bounds are
 * each worker's.
 */
export type PoolPrefixStats = PrefixCacheStats;

/**
 * Which worker likely holds which prefix, and the workers' LRU counters. Each worker keeps its own
 * LRU (key/values stay in the thread that computed them), so a batch goes to an idle worker that
 * recently ran its prefix when there is one; otherwise to any idle worker, which computes the prefix
 * again: waiting for a busy worker would idle a core to save a prefix run, which is shorter than a
 * document batch. The key lists mirror the workers' LRUs approximately (recency by dispatch).
 */
export class PrefixRouting {
  private readonly recent: string[][];
  private readonly latest: (PrefixCacheStats | undefined)[];
  private readonly retired = { hits: 0, misses: 0, evictions: 0 };

  constructor(
    slots: number,
    private readonly maxEntries: number = PREFIX_CACHE_DEFAULTS.maxEntries,
    private readonly maxBytes: number = PREFIX_CACHE_DEFAULTS.maxBytes,
  ) {
    this.recent = Array.from({ length: slots }, () => []);
    this.latest = new Array(slots).fill(undefined);
  }

  /** The slot to run a batch of `key` on, among the idle ones (in order). */
  pick(idle: readonly number[], key: string | undefined): number | undefined {
    if (key !== undefined) {
      const warm = idle.find((slot) => this.recent[slot]!.includes(key));
      if (warm !== undefined) return warm;
    }
    return idle[0];
  }

  /** A batch of `key` was sent to `slot`. */
  dispatched(slot: number, key: string | undefined): void {
    if (key === undefined) return;
    const keys = this.recent[slot]!;
    const at = keys.indexOf(key);
    if (at >= 0) keys.splice(at, 1);
    keys.push(key);
    if (keys.length > this.maxEntries) keys.shift();
  }

  /** The worker at `slot` reported its LRU's counters. */
  report(slot: number, stats: PrefixCacheStats): void {
    this.latest[slot] = stats;
  }

  /** The worker at `slot` is being replaced: its counters are kept, its entries are gone. */
  reset(slot: number): void {
    const last = this.latest[slot];
    if (last) for (const key of ['hits', 'misses', 'evictions'] as const) this.retired[key] += last[key];
    this.latest[slot] = undefined;
    this.recent[slot] = [];
  }

  stats(): PoolPrefixStats {
    const total = { ...this.retired, entries: 0, bytes: 0 };
    for (const s of this.latest) {
      if (!s) continue;
      total.hits += s.hits;
      total.misses += s.misses;
      total.evictions += s.evictions;
      total.entries += s.entries;
      total.bytes += s.bytes;
    }
    return { ...total, maxEntries: this.maxEntries, maxBytes: this.maxBytes };
  }
}
