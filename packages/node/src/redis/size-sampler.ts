import { errorMessage, type Logger } from '@reranker/core';

/** The shared cache's entry count at one moment. */
export interface SizeSample {
  /** Entries under the key prefix when the count ran. */
  keys: number;
  /** ISO time the count finished. */
  sampledAt: string;
}

export interface SizeSampler {
  /** The last count, or `undefined` before the first one finished (or with sampling off). */
  latest(): SizeSample | undefined;
  /** Stops sampling; a count in progress finishes and is dropped. Idempotent. */
  stop(): void;
}

/**
 * Counts the shared cache's entries in the background: once at start, then `intervalMs` after each
 * count ends. Counting the entries of one prefix means a SCAN of the whole keyspace (O(keys)), too
 * slow for every /health probe of every load balancer; `DBSIZE` is O(1) but counts every key of the
 * database, which the prefix rarely owns (and claims and the registry live under it too). So readers
 * get the last count and its time, and Redis sees one SCAN per server per interval. A failed count
 * keeps the previous one (its time shows its age). `intervalMs` 0 turns sampling off.
 */
export function startSizeSampler(options: {
  count: () => Promise<number>;
  intervalMs: number;
  logger: Logger;
}): SizeSampler {
  const { count, intervalMs, logger } = options;
  let latest: SizeSample | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = intervalMs <= 0;

  const sample = async (): Promise<void> => {
    try {
      const keys = await count();
      if (!stopped) latest = { keys, sampledAt: new Date().toISOString() };
    } catch (error) {
      logger.debug({ error: errorMessage(error) }, 'counting the shared cache entries failed');
    }
    if (stopped) return;
    timer = setTimeout(() => void sample(), intervalMs);
    // Sampling must not keep a process alive that is otherwise done.
    timer.unref();
  };
  if (!stopped) void sample();

  return {
    latest: () => latest,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
