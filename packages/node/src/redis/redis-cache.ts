import {
  type CacheClaims,
  type CacheDriver,
  type CachedLogits,
  errorMessage,
  type Logger,
  RerankerError,
  silentLogger,
} from '@reranker/core';
import { Redis } from 'ioredis';
import { CircuitBreaker, type DistributedHealth } from './circuit';
import { CLAIM_MARK, createClaims, type DedupeOptions } from './dedupe';

export interface RedisCacheOptions {
  /** Where to connect, when no `client` is given. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** A client to use instead of connecting to `url`; the caller keeps ownership (dispose leaves it open). */
  client?: Redis;
  /**
   * Put before every key, so several deployments can share one Redis. Keys starting with `~` under it
   * are reserved (claims, server registry). @default 'reranker:'
   */
  keyPrefix?: string;
  /** Longest wait for one Redis round trip; a slower answer counts as a failure. @default 200 */
  timeoutMs?: number;
  /** Lifetime of an entry when `set` gives none; 0 keeps entries until Redis evicts them. @default 300000 */
  ttlMs?: number;
  /** Where the circuit opening and closing are reported. @default silent */
  logger?: Logger;
  /** Consecutive failures that switch to local mode. @default 3 */
  failureThreshold?: number;
  /** Time in local mode before one call probes Redis again. @default 5000 */
  cooldownMs?: number;
  /**
   * Cross-server deduplication: the driver gets core's claims capability (`claim`, `wait`, `release`),
   * so a miss is claimed before it is computed and a pair another server claimed is waited for (see
   * `DedupeOptions`). `true` uses the defaults.
   * @default false
   */
  dedupe?: boolean | DedupeOptions;
}

/** Every method of a cache driver; the claims capability only where it was asked for. */
export type StoreDriver = Required<Omit<CacheDriver, keyof CacheClaims>> & Partial<CacheClaims>;

/** A cache driver on Redis, with its health for /health; `claim`, `wait` and `release` with `dedupe`. */
export interface RedisCacheDriver extends StoreDriver {
  /** `degraded` while the circuit is open (Redis down or slow): every call then fails at once. */
  status(): DistributedHealth;
}

const SCAN_COUNT = 1000;

/**
 * The pair cache in Redis, shared by every server that uses the same Redis and prefix. Values are the
 * logits as JSON text (exact for float64, -0 included). Every round trip is bounded by `timeoutMs` and goes through a
 * circuit breaker, so a down or slow Redis costs a request at most one timeout, and then nothing until
 * it answers again (core's pair cache turns the failures into misses).
 */
export function createRedisCache(options: RedisCacheOptions = {}): RedisCacheDriver {
  const keyPrefix = options.keyPrefix ?? 'reranker:';
  const timeoutMs = checkNumber('timeoutMs', options.timeoutMs ?? 200, 1);
  const defaultTtlMs = checkNumber('ttlMs', options.ttlMs ?? 300_000, 0);
  const url = options.url ?? 'redis://127.0.0.1:6379';
  const owned = options.client === undefined;
  const client = options.client ?? connect(url, timeoutMs);
  const breaker = new CircuitBreaker({
    name: 'redis',
    logger: options.logger ?? silentLogger,
    failureThreshold: options.failureThreshold,
    cooldownMs: options.cooldownMs,
  });
  let disposed = false;

  /** One round trip: refused when disposed or while the circuit is open, rejected after `timeoutMs`. */
  const call = <T>(operation: () => Promise<T>): Promise<T> => {
    if (disposed) {
      return Promise.reject(
        new RerankerError(
          'DISPOSED',
          'This Redis cache was disposed; create a new one with createRedisCache().',
        ),
      );
    }
    return breaker.run(() => withTimeout(operation(), timeoutMs).catch(asRerankerError));
  };
  const full = (key: string): string => keyPrefix + key;
  const claims = options.dedupe
    ? createClaims(
        client,
        call,
        { value: full, claim: (key) => keyPrefix + CLAIM_MARK + key },
        decode,
        options.dedupe === true ? {} : options.dedupe,
      )
    : undefined;
  const ttlOf = (ttlMs: number | undefined): number => checkNumber('ttlMs', ttlMs ?? defaultTtlMs, 0);

  // Claims and the server registry live under `<prefix>~`: not entries, so size and clear skip them.
  const internal = `${keyPrefix}~`;
  /** Every entry key under this prefix, one SCAN page (one bounded round trip) at a time. */
  const scan = async (each: (keys: string[]) => Promise<void>): Promise<void> => {
    let cursor = '0';
    do {
      const [next, keys] = await call(() =>
        client.scan(cursor, 'MATCH', `${escapeGlob(keyPrefix)}*`, 'COUNT', SCAN_COUNT),
      );
      cursor = next;
      const entries = keys.filter((key) => !key.startsWith(internal));
      if (entries.length > 0) await each(entries);
    } while (cursor !== '0');
  };

  return {
    name: 'redis',
    status: () => breaker.status(),
    async get(key) {
      return decode(await call(() => client.get(full(key))));
    },
    async set(key, value, ttlMs) {
      const ttl = ttlOf(ttlMs);
      const text = encode(value);
      await call(() => (ttl > 0 ? client.set(full(key), text, 'PX', ttl) : client.set(full(key), text)));
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      const values = await call(() => client.mget(keys.map(full)));
      return values.map(decode);
    },
    async setMany(entries, ttlMs) {
      if (entries.length === 0) return;
      const ttl = ttlOf(ttlMs);
      const pipeline = client.pipeline();
      for (const [key, value] of entries) {
        if (ttl > 0) pipeline.set(full(key), encode(value), 'PX', ttl);
        else pipeline.set(full(key), encode(value));
      }
      const results = await call(() => pipeline.exec());
      const failure = results?.find(([error]) => error)?.[0];
      if (failure) throw failure;
    },
    async delete(key) {
      await call(() => client.unlink(full(key)));
    },
    async clear() {
      await scan(async (keys) => {
        await call(() => client.unlink(...keys));
      });
    },
    async size() {
      // SCAN may return a key twice across pages; a set counts each once.
      const seen = new Set<string>();
      await scan(async (keys) => {
        for (const key of keys) seen.add(key);
      });
      return seen.size;
    },
    ...claims,
    async dispose() {
      if (disposed) return;
      disposed = true;
      // disconnect, not quit: quit waits for a Redis that may be gone.
      if (owned) client.disconnect();
    },
  };
}

/** A client that never queues for long: our own timeout bounds each call, ioredis reconnects forever. */
export function connect(url: string, timeoutMs: number): Redis {
  const client = new Redis(url, {
    connectTimeout: Math.max(timeoutMs, 1000),
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // Failures reach callers (and the circuit breaker); without a listener ioredis prints every reconnect error.
  client.on('error', () => {});
  return client;
}

/** ioredis's own errors (connection closed, retries exhausted, replies) as the library's error type. */
export function asRerankerError(error: unknown): never {
  if (error instanceof RerankerError) throw error;
  throw new RerankerError(
    'BACKEND_UNAVAILABLE',
    `Redis call failed: ${errorMessage(error)}. Check that Redis is up and REDIS_URL is right.`,
    { cause: error },
  );
}

/** JSON, except that -0 keeps its sign (JSON.stringify writes it as 0; JSON.parse reads `-0` back). */
function encode(value: CachedLogits): string {
  return `[${Array.from(value, (n) => (Object.is(n, -0) ? '-0' : String(n))).join(',')}]`;
}

/** The stored value, or `undefined` for a miss; anything unreadable is handed on for core to reject. */
function decode(text: string | null): CachedLogits | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as CachedLogits;
  } catch {
    return text as unknown as CachedLogits;
  }
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new RerankerError(
            'TIMEOUT',
            `Redis did not answer within ${timeoutMs} ms; check its load and network, or raise REDIS_TIMEOUT_MS.`,
          ),
        ),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Escapes Redis glob characters, so a prefix matches only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function checkNumber(field: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `Redis cache ${field} must be a number of milliseconds >= ${min}, got ${String(value)}.`,
      { details: { field, value } },
    );
  }
  return value;
}
