import { randomUUID } from 'node:crypto';
import { type Logger, RerankerError, silentLogger } from '@reranker/core';
import type { Redis } from 'ioredis';
import { CircuitBreaker, type DistributedHealth } from './circuit';
import { leaseCommands } from './lease';
import { asRerankerError, connect, withTimeout } from './redis-cache';

export interface GlobalLimitsOptions {
  /** Where to connect, when no `client` is given. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** A client to use instead; the caller keeps ownership (dispose leaves it open). */
  client?: Redis;
  /** The cache's prefix; leases live at `<prefix>~lease`, rate windows at `<prefix>~rate:<second>`. @default 'reranker:' */
  keyPrefix?: string;
  /** Longest wait for one Redis round trip; a slower answer counts as a failure. @default 200 */
  timeoutMs?: number;
  /** Requests running at once across every server on this Redis and prefix; 0 turns leases off. @default 0 */
  maxParallel?: number;
  /** Life of a lease after its last renewal (renewed every third of it): a crashed server's slots come back within it. @default 10000 */
  leaseTtlMs?: number;
  /** Requests per second across the servers (fixed 1 s windows of Redis time); 0 turns it off. @default 0 */
  rateLimitRps?: number;
  /** Longest wait for a lease, as QUEUE_TIMEOUT_SECONDS bounds the local queue; then QUEUE_TIMEOUT. @default 30000 */
  waitMs?: number;
  /** Requests of this process that may wait for a lease, as MAX_QUEUE_SIZE; beyond it QUEUE_FULL at once. @default 10 */
  maxWaiting?: number;
  /** Where the circuit opening and closing are reported (once each). @default silent */
  logger?: Logger;
  /** Consecutive failures that switch to local limits only. @default 3 */
  failureThreshold?: number;
  /** Time on local limits before one call probes Redis again. @default 5000 */
  cooldownMs?: number;
}

/** What `enter` hands back: call `release` once the request is done (idempotent). */
export interface GlobalPermit {
  release(): void;
  /** Time spent waiting for a lease, in ms (0 without one). */
  waitedMs: number;
  /** Whether a cluster lease is held; false when leases are off or Redis could not be asked. */
  leased: boolean;
}

/** Cluster-wide admission of rerank requests, on top of each server's own queue. */
export interface GlobalLimits {
  /**
   * Admits one request: first the rate limit (`RATE_LIMITED` over it), then a lease (`QUEUE_FULL` when
   * `maxWaiting` requests of this process already wait, `QUEUE_TIMEOUT` after `waitMs`, `ABORTED` when
   * `signal` fires). While Redis is down or the circuit is open, every request is admitted at once.
   */
  enter(signal?: AbortSignal): Promise<GlobalPermit>;
  /** `degraded` while the circuit is open: only local limits apply. */
  status(): DistributedHealth;
  /** The configured limits (0 = off). */
  readonly maxParallel: number;
  readonly rateLimitRps: number;
  /** Stops renewing, gives back the leases still held (best effort). Idempotent. */
  dispose(): Promise<void>;
}

const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 200;

/**
 * Global concurrency leases and a global rate limit through Redis. Each round trip is bounded by
 * `timeoutMs` and goes through a circuit breaker, as the cache's do: a down or slow Redis costs a request at
 * most one timeout, then nothing (requests run under local limits only) until a probe finds it back.
 */
export function createGlobalLimits(options: GlobalLimitsOptions = {}): GlobalLimits {
  const keyPrefix = options.keyPrefix ?? 'reranker:';
  const timeoutMs = whole('timeoutMs', options.timeoutMs ?? 200, 1);
  const maxParallel = whole('maxParallel', options.maxParallel ?? 0, 0);
  const leaseTtlMs = whole('leaseTtlMs', options.leaseTtlMs ?? 10_000, 100);
  const rateLimitRps = whole('rateLimitRps', options.rateLimitRps ?? 0, 0);
  const waitMs = whole('waitMs', options.waitMs ?? 30_000, 0);
  const maxWaiting = whole('maxWaiting', options.maxWaiting ?? 10, 0);
  const logger = options.logger ?? silentLogger;
  const owned = options.client === undefined;
  const client = options.client ?? connect(options.url ?? 'redis://127.0.0.1:6379', timeoutMs);
  const store = leaseCommands(client);
  const breaker = new CircuitBreaker({
    name: 'redis',
    logger,
    failureThreshold: options.failureThreshold,
    cooldownMs: options.cooldownMs,
  });
  const leaseKey = `${keyPrefix}~lease`;
  const rateBase = `${keyPrefix}~rate:`;
  const call = <T>(operation: () => Promise<T>): Promise<T> =>
    breaker.run(() => withTimeout(operation(), timeoutMs).catch(asRerankerError));
  // Holder ids are unique per request, so two apps in one process never share a lease.
  const held = new Set<string>();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let waiting = 0;
  let disposed = false;

  const renew = (): void => {
    if (held.size === 0) return;
    call(() => store.renew(leaseKey, leaseTtlMs, [...held])).catch((error) =>
      logger.debug({ error: String(error) }, 'global lease renewal failed; the leases expire by their TTL'),
    );
  };
  const hold = (holder: string): void => {
    held.add(holder);
    if (!heartbeat) {
      heartbeat = setInterval(renew, Math.max(1, Math.floor(leaseTtlMs / 3)));
      heartbeat.unref();
    }
  };
  const release = (holder: string): void => {
    if (!held.delete(holder)) return;
    if (held.size === 0) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
    // Not through the breaker: a lost release only costs the slot until its TTL runs out.
    withTimeout(store.release(leaseKey, holder), timeoutMs).catch(() => {});
  };
  const permit = (holder: string | undefined, waitedMs: number): GlobalPermit => ({
    waitedMs,
    leased: holder !== undefined,
    release: () => {
      if (holder !== undefined) release(holder);
    },
  });

  const checkRate = async (): Promise<void> => {
    if (rateLimitRps === 0) return;
    const window = await call(() => store.countRequest(rateBase)).catch(() => undefined);
    if (!window || window.count <= rateLimitRps) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(window.msLeft / 1000));
    throw new RerankerError(
      'RATE_LIMITED',
      `The cluster's rate limit of ${rateLimitRps} requests per second (GLOBAL_RATE_LIMIT_RPS) is reached; retry in ${retryAfterSeconds} s.`,
      { details: { scope: 'cluster', limit: rateLimitRps, retryAfterSeconds } },
    );
  };

  const lease = async (signal: AbortSignal | undefined): Promise<GlobalPermit> => {
    const holder = randomUUID();
    const started = performance.now();
    /** true: leased; false: no free slot; undefined: Redis cannot tell, so local limits only. */
    const attempt = () =>
      call(() => store.acquire(leaseKey, leaseTtlMs, maxParallel, holder)).catch(() => undefined);
    let got = await attempt();
    if (got !== false) return finish(got, holder, started);
    if (waiting >= maxWaiting) {
      throw new RerankerError(
        'QUEUE_FULL',
        `All ${maxParallel} cluster slots (GLOBAL_MAX_PARALLEL) are busy and ${waiting} requests of this server already wait for one; retry later.`,
        { details: { scope: 'cluster', max_parallel: maxParallel, waiting, max_queue: maxWaiting } },
      );
    }
    waiting += 1;
    try {
      let pause = FIRST_POLL_MS;
      while (got === false) {
        const left = waitMs - (performance.now() - started);
        if (left <= 0) {
          throw new RerankerError(
            'QUEUE_TIMEOUT',
            `No cluster slot (GLOBAL_MAX_PARALLEL=${maxParallel}) became free within ${waitMs} ms; retry later.`,
            { details: { scope: 'cluster', max_parallel: maxParallel, wait_ms: waitMs } },
          );
        }
        // Jitter keeps the servers' polls from marching in step.
        await sleep(Math.min(left, pause * (0.5 + Math.random())), signal);
        pause = Math.min(pause * 2, MAX_POLL_MS);
        got = await attempt();
      }
      return finish(got, holder, started);
    } finally {
      waiting -= 1;
    }
  };
  const finish = (got: boolean | undefined, holder: string, started: number): GlobalPermit => {
    const waitedMs = performance.now() - started;
    // Disposed while waiting: the lease would never be renewed nor released by us.
    if (!got || disposed) {
      if (got) withTimeout(store.release(leaseKey, holder), timeoutMs).catch(() => {});
      return permit(undefined, waitedMs);
    }
    hold(holder);
    return permit(holder, waitedMs);
  };

  return {
    maxParallel,
    rateLimitRps,
    status: () => breaker.status(),
    async enter(signal) {
      if (disposed || (maxParallel === 0 && rateLimitRps === 0)) return permit(undefined, 0);
      signal?.throwIfAborted();
      await checkRate();
      if (maxParallel === 0) return permit(undefined, 0);
      return lease(signal);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      clearInterval(heartbeat);
      heartbeat = undefined;
      const holders = [...held];
      held.clear();
      await Promise.all(
        holders.map((holder) => withTimeout(store.release(leaseKey, holder), timeoutMs).catch(() => {})),
      );
      if (owned) client.disconnect();
    },
  };
}

/** Waits `ms`, or rejects with ABORTED when `signal` fires first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(
        new RerankerError('ABORTED', 'The request was aborted while it waited for a cluster slot.', {
          cause: signal?.reason,
        }),
      );
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function whole(field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RerankerError(
      'INVALID_CONFIG',
      `Global limits ${field} must be a whole number >= ${min}, got ${String(value)}.`,
      { details: { field, value } },
    );
  }
  return value;
}
