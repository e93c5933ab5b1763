import type { Redis } from 'ioredis';

// Every script reads the clock of Redis, not of the server calling it: servers' clocks may disagree,
// and all of them must agree on when a lease has run out and which second a rate window is.
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

// The key itself expires two TTLs after the last write, so an abandoned lease set never lingers.
const KEEP_KEY = `local ttl = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl * 2 then redis.call('PEXPIRE', KEYS[1], ttl * 2) end`;

/** KEYS[1] the lease set; ARGV ttl, limit, holder. Drops expired holders, then adds one if below the limit. */
const ACQUIRE = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
${KEEP_KEY}
return 1`;

/** KEYS[1] the lease set; ARGV ttl, holders...: pushes the expiry of those still present (never re-adds). */
const RENEW = `${NOW_MS}
local renewed = 0
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i]) == 1 then renewed = renewed + 1 end
end
${KEEP_KEY}
return renewed`;

/**
 * KEYS[1] the window key's base; ARGV the window length in ms. Counts one request in the current fixed
 * 1 s window (the key is the base plus Redis's epoch second) and returns the count and the ms left in it.
 * The window key is built inside the script (only Redis knows its second), which standalone Redis and
 * Sentinel allow; Redis Cluster would need it declared.
 */
const RATE = `local t = redis.call('TIME')
local key = KEYS[1] .. t[1]
local count = redis.call('INCR', key)
if count == 1 then redis.call('PEXPIRE', key, tonumber(ARGV[1]) * 2) end
return { count, tonumber(ARGV[1]) - math.floor(tonumber(t[2]) / 1000) }`;

interface LeaseCommands {
  rerankerLeaseAcquire(key: string, ttlMs: number, limit: number, holder: string): Promise<number>;
  rerankerLeaseRenew(key: string, ttlMs: number, ...holders: string[]): Promise<number>;
  rerankerRateCount(base: string, windowMs: number): Promise<[number, number]>;
}

/**
 * The Redis side of the global limits, one atomic script per step (EVALSHA through ioredis's
 * `defineCommand`, re-sent by ioredis when Redis lost its script cache). Leases are members of a
 * sorted set scored by their expiry in Redis time: a holder that stops renewing (a crashed server)
 * falls out at the next acquire after its TTL.
 */
export function leaseCommands(client: Redis) {
  const commands = client as unknown as LeaseCommands & Partial<Record<string, unknown>>;
  if (typeof commands.rerankerLeaseAcquire !== 'function') {
    client.defineCommand('rerankerLeaseAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    client.defineCommand('rerankerLeaseRenew', { numberOfKeys: 1, lua: RENEW });
    client.defineCommand('rerankerRateCount', { numberOfKeys: 1, lua: RATE });
  }
  return {
    /** Whether `holder` got one of the `limit` slots of `key` for `ttlMs`. */
    async acquire(key: string, ttlMs: number, limit: number, holder: string): Promise<boolean> {
      return (await commands.rerankerLeaseAcquire(key, ttlMs, limit, holder)) === 1;
    },
    /** Extends the leases of `holders` still in `key` to `ttlMs` from now; how many were renewed. */
    async renew(key: string, ttlMs: number, holders: readonly string[]): Promise<number> {
      if (holders.length === 0) return 0;
      return commands.rerankerLeaseRenew(key, ttlMs, ...holders);
    },
    /** Gives the slot of `holder` back. */
    async release(key: string, holder: string): Promise<void> {
      await client.zrem(key, holder);
    },
    /** Holders whose lease has not run out (expired ones may still be listed until the next acquire). */
    async count(key: string): Promise<number> {
      const [seconds, micros] = await client.time();
      return client.zcount(key, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + 1, '+inf');
    },
    /** This request's number in the current 1 s window of `base`, and the ms until the next window. */
    async countRequest(base: string): Promise<{ count: number; msLeft: number }> {
      const [count, msLeft] = await commands.rerankerRateCount(base, 1000);
      return { count, msLeft };
    },
  };
}

export type LeaseStore = ReturnType<typeof leaseCommands>;
